/** A submission body for the demo's assignment, as the seeded test server (Wednesday of 2026-W48) accepts it. */
import type { SubmissionBody } from '../protocol/schemas.ts';

export function demoHomework(text: string, week = '2026-W48'): SubmissionBody {
  return {
    classId: 'cm2-b',
    week,
    assignmentId: 'exercices-fractions',
    text,
    files: [],
    submittedAt: '2026-11-25T09:00:00.000Z',
  };
}
