/**
 * The link (or QR code) with which a school sets a device up: `/installer?mode=partage&ecole=<id>&nom=<name>`. It
 * is opened once on the device; the app keeps the set-up and goes to its start page. The server is the link's own
 * origin, so a link made by one school's server sets devices up for that server.
 */
import type { DeviceConfig } from '../storage/db.ts';

export const SETUP_PATH = '/installer';

/** The set-up a link carries, or undefined when this page is not a set-up link. */
export function parseSetupLink(path: string, search: string): Omit<DeviceConfig, 'key'> | undefined {
  if (path !== SETUP_PATH && path !== `${SETUP_PATH}/`) return undefined;
  const params = new URLSearchParams(search);
  const schoolId = params.get('ecole') ?? undefined;
  const schoolName = params.get('nom') ?? undefined;
  return {
    shared: params.get('mode') !== 'personnel',
    ...(schoolId ? { schoolId } : {}),
    ...(schoolName ? { schoolName } : {}),
  };
}

/** The set-up link of a school's shared devices on this server. */
export function setupLink(origin: string, school: { id: string; name: string }, shared = true): string {
  const params = new URLSearchParams({ mode: shared ? 'partage' : 'personnel', ecole: school.id, nom: school.name });
  return `${origin}${SETUP_PATH}?${params.toString()}`;
}
