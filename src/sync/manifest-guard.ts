/** A structural check of a manifest received over the network, so bad data is refused instead of crashing later. */
import type { WeekManifest } from '../protocol/schemas.ts';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isString = (v: unknown): v is string => typeof v === 'string';
const isFileRef = (v: unknown) =>
  isObject(v) &&
  isString(v.sha256) &&
  /^[0-9a-f]{64}$/.test(v.sha256) &&
  isString(v.name) &&
  isString(v.type) &&
  typeof v.size === 'number';
const isLesson = (v: unknown) =>
  isObject(v) &&
  isString(v.id) &&
  isString(v.title) &&
  isString(v.body) &&
  Array.isArray(v.attachments) &&
  v.attachments.every(isFileRef);
const isAssignment = (v: unknown) =>
  isObject(v) && isString(v.id) && isString(v.title) && isString(v.instructions) && isString(v.dueAt);

/** True when `v` has the shape of a WeekManifest of format 1. */
export function isWeekManifest(v: unknown): v is WeekManifest {
  return (
    isObject(v) &&
    v.format === 1 &&
    isString(v.classId) &&
    isString(v.week) &&
    typeof v.version === 'number' &&
    Array.isArray(v.lessons) &&
    v.lessons.every(isLesson) &&
    Array.isArray(v.assignments) &&
    v.assignments.every(isAssignment)
  );
}
