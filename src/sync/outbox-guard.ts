/** A structural check of an outbox record read back from storage: a damaged record is shown, never sent or dropped. */
import type { OutboxItem } from './ports.ts';

const STATES = new Set(['pending', 'sending', 'received', 'refused', 'conflict']);
const KINDS = new Set(['homework', 'publication', 'feedback', 'seen']);
const isString = (v: unknown): v is string => typeof v === 'string';

export function isOutboxItem(v: unknown): v is OutboxItem {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  return (
    isString(r.id) &&
    isString(r.owner) &&
    isString(r.classId) &&
    isString(r.week) &&
    isString(r.assignmentId) &&
    isString(r.text) &&
    isString(r.submittedAt) &&
    typeof r.createdAt === 'number' &&
    typeof r.attempts === 'number' &&
    isString(r.state) &&
    STATES.has(r.state) &&
    // Absent on records written before kinds existed (read as homework or a publication); an unknown kind (a newer
    // app's record read by an older one) is shown as unreadable, never sent as something it is not.
    (r.kind === undefined || (isString(r.kind) && KINDS.has(r.kind))) &&
    Array.isArray(r.files) &&
    r.files.every(
      (f: unknown) => typeof f === 'object' && f !== null && isString((f as Record<string, unknown>).sha256),
    )
  );
}
