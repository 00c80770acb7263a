/** What the benchmarks do as the demo pupil against a running server: sign in, find the week, submit homework. */
import { randomUUID } from 'node:crypto';

export interface DemoSession {
  url: string;
  token: string;
  /** The newest published week of the demo class, and its manifest's ETag. */
  week: string;
  etag: string;
}

/** Signs in as Léa and reads the demo class's newest week. */
export async function demoSession(url: string): Promise<DemoSession> {
  const signIn = await fetch(`${url}/api/auth/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'lea', secret: 'soleil-12' }),
  });
  const { token } = (await signIn.json()) as { token: string };
  const list = (await (
    await fetch(`${url}/api/classes/cm2-b/weeks`, { headers: { authorization: `Bearer ${token}` } })
  ).json()) as {
    weeks: { week: string; etag: string }[];
  };
  const current = list.weeks.at(-1);
  if (!current) throw new Error(`${url}: no published week`);
  return { url, token, week: current.week, etag: current.etag };
}

/** The body of a submission as the demo pupil sends it, for `week`, stamped now. */
export function homeworkBody(week: string): string {
  return JSON.stringify({
    classId: 'cm2-b',
    week,
    assignmentId: 'exercices-fractions',
    text: 'Exercice 1 : trois quarts du rectangle sont coloriés.',
    files: [],
    submittedAt: new Date().toISOString(),
  });
}

/** PUTs one new submission (a fresh id) and returns the answer. */
export function submitHomework(s: DemoSession, id = randomUUID()): Promise<Response> {
  return fetch(`${s.url}/api/submissions/${id}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' },
    body: homeworkBody(s.week),
  });
}
