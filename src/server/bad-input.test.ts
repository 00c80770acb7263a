// Every bad input answers 4xx with a JSON body { error, message }: never a 500, never a crash.
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../test-support/server.ts';
import { DEMO_CLASS_ID } from './seed/demo.ts';

let s: TestServer;
let lea: string;
let ines: string;
beforeAll(async () => {
  s = await startTestServer();
  lea = await s.signIn('lea');
  ines = await s.signIn('ines');
});
afterAll(async () => s.close());

type Request = InjectOptions;
/** Requests are built inside each test: the tokens exist only once beforeAll has signed in. */
type Case = [name: string, request: () => Request, status: number, code: string];

const json = { 'content-type': 'application/json' };
const cases: Case[] = [
  [
    'malformed JSON',
    () => ({ method: 'POST', url: '/api/auth/sign-in', headers: json, payload: '{"username": "lea",' }),
    400,
    'invalid_json',
  ],
  [
    'empty JSON body',
    () => ({ method: 'POST', url: '/api/auth/sign-in', headers: json, payload: '' }),
    400,
    'invalid_json',
  ],
  [
    'a JSON array instead of an object',
    () => ({ method: 'POST', url: '/api/auth/sign-in', headers: json, payload: '[1,2]' }),
    400,
    'invalid_request',
  ],
  [
    'an unknown field',
    () => ({
      method: 'POST',
      url: '/api/auth/sign-in',
      payload: { username: 'lea', secret: 'soleil-12', admin: true },
    }),
    400,
    'invalid_request',
  ],
  [
    'a missing field',
    () => ({ method: 'POST', url: '/api/auth/sign-in', payload: { username: 'lea' } }),
    400,
    'invalid_request',
  ],
  [
    'a field of the wrong type',
    () => ({ method: 'POST', url: '/api/auth/sign-in', payload: { username: 42, secret: 'x' } }),
    400,
    'invalid_request',
  ],
  [
    'an oversized body',
    () => ({
      method: 'POST',
      url: '/api/auth/sign-in',
      headers: json,
      payload: JSON.stringify({ username: 'x'.repeat(300_000), secret: 'y' }),
    }),
    413,
    'body_too_large',
  ],
  [
    'a form instead of JSON',
    () => ({ method: 'POST', url: '/api/auth/sign-in', headers: { 'content-type': 'text/plain' }, payload: 'lea' }),
    415,
    'unsupported_media_type',
  ],
  [
    'a malformed ISO week',
    () => ({ url: `/api/classes/${DEMO_CLASS_ID}/weeks/2026-48`, headers: { authorization: `Bearer ${lea}` } }),
    400,
    'invalid_request',
  ],
  [
    'an ISO week that does not exist',
    () => ({ url: `/api/classes/${DEMO_CLASS_ID}/weeks/2025-W53`, headers: { authorization: `Bearer ${lea}` } }),
    400,
    'invalid_week',
  ],
  [
    'an unknown class',
    () => ({ url: '/api/classes/inconnue/weeks/2026-W48', headers: { authorization: `Bearer ${lea}` } }),
    404,
    'not_found',
  ],
  [
    'a class id with forbidden characters',
    () => ({ url: '/api/classes/..%2F..%2Fetc/weeks', headers: { authorization: `Bearer ${lea}` } }),
    400,
    'invalid_request',
  ],
  [
    'a week with nothing published',
    () => ({ url: `/api/classes/${DEMO_CLASS_ID}/weeks/2026-W20`, headers: { authorization: `Bearer ${ines}` } }),
    404,
    'not_found',
  ],
  ['an unknown file', () => ({ url: `/api/files/${'0'.repeat(64)}` }), 404, 'not_found'],
  ['a file id that is not a hash', () => ({ url: '/api/files/..%2F..%2Fcartable.sqlite' }), 400, 'invalid_request'],
  ['an unknown API path', () => ({ url: '/api/nothing-here' }), 404, 'not_found'],
  ['a missing token', () => ({ url: '/api/me' }), 401, 'unauthorized'],
  [
    'a bad token',
    () => ({ url: '/api/me', headers: { authorization: 'Bearer this-is-not-a-token-at-all' } }),
    401,
    'unauthorized',
  ],
  [
    'a token in the wrong scheme',
    () => ({ url: '/api/me', headers: { authorization: `Basic ${lea}` } }),
    401,
    'unauthorized',
  ],
  ['a token in the URL instead of the header', () => ({ url: `/api/me?token=${lea}` }), 401, 'unauthorized'],
];

describe('bad input', () => {
  it.each(cases.map((c) => [c[0], c] as const))('%s', async (_name, [, request, status, code]) => {
    const res = await s.app.inject(request());
    expect(res.statusCode).toBe(status);
    expect(res.headers['content-type']).toContain('application/json');
    const body = res.json<{ error: string; message: string }>();
    expect(body.error).toBe(code);
    expect(body.message.length).toBeGreaterThan(0);
  });

  it('still answers after all of that', async () => {
    expect((await s.app.inject('/api/health')).statusCode).toBe(200);
  });

  it('sends WWW-Authenticate with a 401', async () => {
    expect((await s.app.inject('/api/me')).headers['www-authenticate']).toBe('Bearer');
  });
});
