/** What a device must download to hold a week: the pure half of an install. */
import type { FileRef, WeekManifest } from '../protocol/schemas.ts';

/** Every file a manifest references, once each, in a stable order. */
export function filesOf(manifest: WeekManifest): FileRef[] {
  const seen = new Map<string, FileRef>();
  for (const lesson of manifest.lessons) {
    for (const file of lesson.attachments) if (!seen.has(file.sha256)) seen.set(file.sha256, file);
  }
  return [...seen.values()];
}

/** The files of `manifest` that are not in `present`. */
export function missingFiles(manifest: WeekManifest, present: ReadonlySet<string>): FileRef[] {
  return filesOf(manifest).filter((f) => !present.has(f.sha256));
}
