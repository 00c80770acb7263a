/**
 * Hostile input on every documented operation (read from /api/openapi.json, so a new route is fuzzed without being
 * listed here) × anonymous, pupil, teacher and admin: invalid JSON and UTF-8, wrong types, NUL, over-long strings and
 * fractions, odd date-times, deep nesting, huge numbers, prototype keys, odd headers and content types, garbage path
 * parameters. Every answer must be a 4xx (or a success) with the API's JSON error body, within a bound; never a 5xx,
 * a hang or a crash. Runs on SQLite and, in the PostgreSQL pass, on PostgreSQL (which refuses more than SQLite does).
 */
import { randomUUID } from 'node:crypto';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../test-support/server.ts';

type Schema = {
  type?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  enum?: unknown[];
  anyOf?: Schema[];
  pattern?: string;
  format?: string;
  minLength?: number;
};
type Operation = { method: string; path: string; body?: Schema };

const ACTORS = {
  anonymous: undefined,
  pupil: ['lea', 'soleil-12'],
  teacher: ['mme.martin', 'tableau-noir'],
  admin: ['mme.roux', 'craie-blanche'],
} as const;

/** A plausible value for a schema, so that mutations reach past validation into the routes and the database. */
function example(schema: Schema): unknown {
  if (schema.enum) return schema.enum[0];
  if (schema.anyOf?.[0]) return example(schema.anyOf[0]);
  switch (schema.type) {
    case 'object':
      return Object.fromEntries(Object.entries(schema.properties ?? {}).map(([k, v]) => [k, example(v)]));
    case 'array':
      return schema.items ? [example(schema.items)] : [];
    case 'integer':
    case 'number':
      return 1;
    case 'boolean':
      return true;
    default:
      if (schema.format === 'date-time' || schema.pattern?.includes('T([01]')) return '2026-11-25T09:00:00.000Z';
      if (schema.pattern?.includes('W')) return '2026-W48';
      if (schema.pattern?.startsWith('^[0-9a-f]{64}')) return 'a'.repeat(64);
      if (schema.pattern?.startsWith('^[0-9a-f]{8}-')) return randomUUID();
      return 'cm2-b';
  }
}

/**
 * Bodies that pass validation and the routes' own checks for the demo's accounts, so that a mutated field reaches
 * the database; an operation without one gets a body made from its schema.
 */
const EXAMPLES: Record<string, () => unknown> = {
  'POST /api/auth/sign-in': () => ({ username: 'hugo', secret: 'faux' }),
  'PUT /api/submissions/{id}': () => ({
    classId: 'cm2-b',
    week: '2026-W48',
    assignmentId: 'exercices-fractions',
    text: 'mon devoir',
    files: [],
    submittedAt: '2026-11-25T09:00:00.000Z',
  }),
  'PUT /api/classes/{classId}/weeks/{week}/publications/{publishId}': () => ({
    className: 'CM2 B',
    lessons: [{ id: 'lecon-1', title: 'Leçon', order: 0, body: '# Titre', attachments: [] }],
    assignments: [{ id: 'devoir-1', title: 'Devoir', instructions: 'Faire', dueAt: '2026-11-27T16:00:00.000Z' }],
    releaseAt: '2026-11-25T08:00:00.000Z',
  }),
  'POST /api/school/classes': () => ({ name: `Classe ${randomUUID().slice(0, 8)}`, teacherId: 'demo-mme-martin' }),
  'POST /api/school/teachers': () => ({ firstName: 'Anne', lastName: `Dupont${randomUUID().slice(0, 4)}` }),
};

let deep: unknown = 'fond';
for (let i = 0; i < 2000; i++) deep = { a: deep };

/** Values that replace one field of a plausible body at a time. */
const HOSTILE_VALUES: unknown[] = [
  null,
  true,
  -1,
  1e308,
  Number.MAX_SAFE_INTEGER + 2,
  '',
  'nul\u0000caractère',
  '\u0000',
  'é'.repeat(300),
  'x'.repeat(70_000),
  '\ud800 seul',
  '2026-11-25T09:00:00+01',
  '2026-12-31T23:59:60Z',
  '2026-02-30T09:00:00Z',
  `2026-11-25T09:00:00.${'1'.repeat(200)}Z`,
  '2026-11-25T09:00:00.123456789+01:00',
  '1e400',
  [],
  [[[[]]]],
  {},
  { __proto__: { admin: true } },
  deep,
];

/** Whole bodies: not JSON, not UTF-8, prototype pollution, deep nesting, the wrong shape. */
const HOSTILE_BODIES: { payload: string | Buffer; type: string }[] = [
  { payload: '{', type: 'application/json' },
  { payload: '{"a":1}{"b":2}', type: 'application/json' },
  { payload: Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]), type: 'application/json' },
  { payload: '{"__proto__":{"role":"admin"}}', type: 'application/json' },
  { payload: '{"constructor":{"prototype":{"role":"admin"}}}', type: 'application/json' },
  { payload: `${'['.repeat(100_000)}${']'.repeat(100_000)}`, type: 'application/json' },
  { payload: '[1,2,3]', type: 'application/json' },
  { payload: 'null', type: 'application/json' },
  { payload: '"texte"', type: 'application/json' },
  { payload: '12e999999', type: 'application/json' },
  { payload: '{"a":1}', type: 'application/json; charset=utf-16' },
  { payload: 'prenom;nom\nLé\u0000a;Dubois\nHugo;Pe\u0000tit;hugo.p\n', type: 'text/csv' },
  { payload: `prenom;nom;identifiant\nAnne;Martin;${'a'.repeat(64)}\n`, type: 'text/csv' },
  { payload: 'a;b\n"non fermé', type: 'text/csv' },
  { payload: 'un;deux;trois;quatre;cinq\n'.repeat(10_000), type: 'text/csv' },
  { payload: '<html><script>alert(1)</script></html>', type: 'text/html' },
  { payload: Buffer.from([0x89, 0x50, 0x4e, 0x47]), type: 'image/png' },
  { payload: Buffer.from('%PDF-1.4 rien'), type: 'application/pdf' },
  { payload: 'x', type: 'multipart/form-data; boundary=----x' },
  { payload: 'x', type: 'image/png\u00e9' },
  { payload: 'x', type: 'application/x-www-form-urlencoded' },
];

const HOSTILE_PARAMS = [
  '%00',
  '..%2F..%2Fetc%2Fpasswd',
  'a'.repeat(300),
  "x'%20or%20'1'%3D'1",
  '%C3%A9l%C3%A8ve',
  '%FF%FE',
  '2026-W99',
  '0',
  '__proto__',
];

const HOSTILE_HEADERS: Record<string, string>[] = [
  { authorization: `Bearer ${'x'.repeat(5000)}` },
  { authorization: 'Basic bGVhOnNvbGVpbC0xMg==' },
  { authorization: 'Bearer' },
  { 'if-none-match': `"${'a'.repeat(8000)}"` },
  { 'if-none-match': '*' },
  { 'cartable-seal': 'v1.a.b.c.d.e' },
  { 'cartable-seal': 'n’importe quoi' },
  { 'accept-language': 'xx'.repeat(2000) },
  { 'content-type': 'application/json', 'content-encoding': 'gzip' },
];

/** Sets `value` at the leaf path `path` of a copy of `body`. */
function withValue(body: unknown, path: (string | number)[], value: unknown): unknown {
  if (path.length === 0) return value;
  const [head, ...rest] = path as [string | number, ...(string | number)[]];
  const copy = (Array.isArray(body) ? [...body] : { ...(body as object) }) as Record<string | number, unknown>;
  copy[head] = withValue(copy[head], rest, value);
  return copy;
}

/** The paths of every field of a plausible body (objects and arrays too, not only leaves). */
function fieldPaths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (value === null || typeof value !== 'object') return [prefix];
  const inner = Object.entries(value).flatMap(([k, v]) =>
    fieldPaths(v, [...prefix, Array.isArray(value) ? Number(k) : k]),
  );
  return prefix.length === 0 ? inner : [prefix, ...inner];
}

let s: TestServer;
let operations: Operation[] = [];
const tokens: Record<string, string | undefined> = {};

beforeAll(async () => {
  s = await startTestServer();
  const doc = (await s.app.inject('/api/openapi.json')).json<{
    paths: Record<string, Record<string, { requestBody?: { content?: Record<string, { schema: Schema }> } }>>;
  }>();
  operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => {
      const body = op.requestBody?.content?.['application/json']?.schema;
      return { method: method.toUpperCase(), path, ...(body ? { body } : {}) };
    }),
  );
});

let signIns = 0;
/**
 * Fresh tokens for every actor: an operation (sign-out) may revoke the ones before it, and then every later operation
 * would only be fuzzed as anonymous. Each sign-in comes from its own address, past the per-address limit.
 */
async function freshTokens(): Promise<void> {
  for (const [actor, account] of Object.entries(ACTORS)) {
    if (!account) continue;
    const res = await s.app.inject({
      method: 'POST',
      url: '/api/auth/sign-in',
      remoteAddress: `10.${Math.floor(signIns / 250)}.${signIns++ % 250}.1`,
      payload: { username: account[0], secret: account[1] },
    });
    if (res.statusCode !== 200) throw new Error(`sign-in of ${account[0]}: ${res.statusCode} ${res.body}`);
    tokens[actor] = res.json<{ token: string }>().token;
  }
}
afterAll(async () => s.close());

/** Fills the path's parameters with plausible values, or one of them with `hostile`. */
function url(path: string, hostile?: { name: string; value: string }): string {
  return path.replace(/\{(\w+)\}/g, (_, name: string) => {
    if (hostile?.name === name) return hostile.value;
    if (name === 'week') return '2026-W48';
    if (name === 'sha256') return 'a'.repeat(64);
    if (name === 'id' || name === 'deviceId' || name === 'publishId') return randomUUID();
    if (name === 'classId') return 'cm2-b';
    if (name === 'assignmentId') return 'exercices-fractions';
    // A user whose card the admin may reissue: not one of the actors, whose secrets must keep working.
    return 'demo-ines';
  });
}

/** One request; a problem is returned as a line (5xx, a body that is not the API's JSON error, no answer). */
async function check(label: string, options: InjectOptions, token: string | undefined): Promise<string | undefined> {
  const headers = { ...(token ? { authorization: `Bearer ${token}` } : {}), ...options.headers };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise<'hang'>((resolve) => (timer = setTimeout(() => resolve('hang'), 10_000)));
  const res = await Promise.race([s.app.inject({ ...options, headers }), hang]).finally(() => clearTimeout(timer));
  label = label.length > 160 ? `${label.slice(0, 157)}…` : label;
  if (res === 'hang') return `${label}: no answer within 10 s`;
  if (res.statusCode >= 500) return `${label}: ${res.statusCode} ${res.body.slice(0, 200)}`;
  if (res.statusCode >= 400 && !/^\{"error":"[a-z_]+","message":/.test(res.body))
    return `${label}: ${res.statusCode} without the JSON error body: ${res.body.slice(0, 120)}`;
  return undefined;
}

describe('hostile input on every documented operation', () => {
  it('never answers 5xx, hangs or crashes, for any actor', { timeout: 600_000 }, async () => {
    expect(operations.length).toBeGreaterThan(20);
    const problems: string[] = [];
    let sent = 0;
    const run = async (label: string, options: InjectOptions, token: string | undefined) => {
      sent++;
      const problem = await check(label, options, token);
      if (problem) problems.push(problem);
    };
    for (const op of operations) {
      await freshTokens();
      const { method } = op;
      for (const [actor] of Object.entries(ACTORS)) {
        const token = tokens[actor];
        const at = `${actor} ${op.method} ${op.path}`;
        // Garbage path parameters.
        for (const name of [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? '')) {
          for (const value of HOSTILE_PARAMS)
            await run(`${at} ${name}=${value}`, { method, url: url(op.path, { name, value }) }, token);
        }
        // Odd headers on a plausible request.
        for (const headers of HOSTILE_HEADERS) {
          const payload = op.body
            ? JSON.stringify(EXAMPLES[`${op.method} ${op.path}`]?.() ?? example(op.body))
            : undefined;
          await run(
            `${at} headers ${Object.keys(headers).join(',')}`,
            {
              method,
              url: url(op.path),
              headers: { ...(payload ? { 'content-type': 'application/json' } : {}), ...headers },
              ...(payload ? { payload } : {}),
            },
            headers.authorization ? undefined : token,
          );
        }
        if (op.method !== 'PUT' && op.method !== 'POST') continue;
        // Whole hostile bodies.
        for (const body of HOSTILE_BODIES)
          await run(
            `${at} body ${body.type}`,
            { method, url: url(op.path), headers: { 'content-type': body.type }, payload: body.payload },
            token,
          );
        // A plausible body with one field made hostile at a time.
        if (!op.body) continue;
        const plausible = EXAMPLES[`${op.method} ${op.path}`]?.() ?? example(op.body);
        for (const path of fieldPaths(plausible)) {
          for (const value of HOSTILE_VALUES) {
            await run(
              `${at} ${path.join('.')}=${JSON.stringify(value)?.slice(0, 40)}`,
              {
                method,
                url: url(op.path),
                payload: JSON.stringify(withValue(plausible, path, value)),
                headers: { 'content-type': 'application/json' },
              },
              token,
            );
          }
        }
      }
    }
    expect(sent).toBeGreaterThan(2000);
    expect(problems).toEqual([]);
    // And the server is still there.
    expect((await s.app.inject('/api/health')).statusCode).toBe(200);
  });
});
