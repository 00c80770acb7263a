import type { OutboxItem } from './ports.ts';

/** The JSON body of a homework submission (what a sealed item holds encrypted). */
export function submissionBody(item: OutboxItem): Record<string, unknown> {
  return {
    classId: item.classId,
    week: item.week,
    assignmentId: item.assignmentId,
    text: item.text,
    files: item.files,
    submittedAt: item.submittedAt,
  };
}
