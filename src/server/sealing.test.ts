// Bodies sealed on a device (src/storage/crypto-box.ts) and opened by the server before its routes see them.
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEAL_HEADER } from '../protocol/paths.ts';
import type { KeysReply } from '../protocol/schemas.ts';
import { encryptBody, newBodyKey, sealForServer } from '../storage/crypto-box.ts';
import { startTestServer, type TestServer } from '../test-support/server.ts';
import { encodePng } from './seed/media.ts';
import { sha256Hex } from './publish.ts';

let s: TestServer;
let token = '';
let server: { keyId: string; publicKey: string };
beforeAll(async () => {
  s = await startTestServer();
  token = await s.signIn('lea');
  const keys = (await s.app.inject('/api/keys')).json<KeysReply>();
  if (!keys.sealing) throw new Error('no sealing key published');
  server = keys.sealing;
});
afterAll(async () => s.close());

const homework = (text: string) =>
  JSON.stringify({
    classId: 'cm2-b',
    week: '2026-W48',
    assignmentId: 'exercices-fractions',
    text,
    files: [],
    submittedAt: '2026-11-25T08:30:00.000Z',
  });

async function sealed(plain: Uint8Array) {
  const key = await newBodyKey();
  const body = await encryptBody(key, plain);
  return { header: `${await sealForServer(server, key)}.${body.iv}`, body: Buffer.from(body.ct) };
}

describe('sealed request bodies', () => {
  it('publishes one ECDH P-256 key, the same on every call', async () => {
    const again = (await s.app.inject('/api/keys')).json<KeysReply>();
    expect(again.sealing).toEqual(server);
    expect(server.publicKey).toMatch(/^[A-Za-z0-9_-]{87}$/); // 65 raw bytes
  });

  it('accepts sealed homework and a sealed file exactly as plain ones', async () => {
    const photo = encodePng(4, 4, () => [1, 2, 3, 255]);
    const file = await sealed(photo);
    const put = await s.app.inject({
      method: 'PUT',
      url: `/api/uploads/${sha256Hex(Buffer.from(photo))}`,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'image/png', [SEAL_HEADER]: file.header },
      payload: file.body,
    });
    expect(put.statusCode).toBe(201);
    const id = randomUUID();
    const { header, body } = await sealed(new TextEncoder().encode(homework('Réponse scellée')));
    const res = await s.app.inject({
      method: 'PUT',
      url: `/api/submissions/${id}`,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', [SEAL_HEADER]: header },
      payload: body,
    });
    expect(res.statusCode).toBe(201);
    const stored = await s.ctx.db.selectFrom('submissions').select('text').where('id', '=', id).executeTakeFirst();
    expect(stored?.text).toBe('Réponse scellée');
  });

  it('takes a sealed photo of several megabytes (the route’s own limit, not the JSON one)', async () => {
    const pdf = Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(3 * 1024 * 1024)]);
    const file = await sealed(pdf);
    const put = await s.app.inject({
      method: 'PUT',
      url: `/api/uploads/${sha256Hex(pdf)}`,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/pdf', [SEAL_HEADER]: file.header },
      payload: file.body,
    });
    expect(put.statusCode).toBe(201);
  });

  it('opens nothing for a caller without a live token: 401 before the body is read', async () => {
    const { header, body } = await sealed(new TextEncoder().encode(homework('x')));
    for (const authorization of [undefined, 'Bearer not-a-live-token-at-all-0123456789']) {
      const res = await s.app.inject({
        method: 'PUT',
        url: `/api/submissions/${randomUUID()}`,
        headers: {
          'content-type': 'application/json',
          [SEAL_HEADER]: header,
          ...(authorization ? { authorization } : {}),
        },
        payload: body,
      });
      expect(res.statusCode).toBe(401);
      expect(res.json()).toMatchObject({ error: 'unauthorized' });
    }
  });

  it('answers 400 bad_seal, never 500, for tampered bytes, an unknown key or a malformed header', async () => {
    const { header, body } = await sealed(new TextEncoder().encode(homework('x')));
    const tampered = Buffer.from(body);
    tampered[0] = (tampered[0] ?? 0) ^ 1;
    const parts = header.split('.');
    const unknownKey = [parts[0], randomUUID(), ...parts.slice(2)].join('.');
    for (const [h, b] of [
      [header, tampered],
      [unknownKey, body],
      ['v1.nothing', body],
      ['v2.a.b.c.d.e', body],
    ] as const) {
      const res = await s.app.inject({
        method: 'PUT',
        url: `/api/submissions/${randomUUID()}`,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', [SEAL_HEADER]: h },
        payload: b,
      });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ error: 'bad_seal' });
    }
  });
});

describe('sealed bodies and memory', () => {
  /** Sends only the headers of a request declaring `length` bytes; resolves with the answer's first line. */
  async function headersOnly(url: string, path: string, headers: Record<string, string>, length: number) {
    const { connect } = await import('node:net');
    const { port } = new URL(url);
    return new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1');
      let answer = '';
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error('no answer before the body was sent'));
      }, 5000);
      socket.on('data', (d: Buffer) => {
        answer += d.toString();
        if (answer.includes('\r\n\r\n')) {
          clearTimeout(timer);
          socket.destroy();
          resolve(answer);
        }
      });
      socket.on('error', reject);
      const lines = Object.entries({ host: 'x', 'content-length': String(length), ...headers }).map(
        ([k, v]) => `${k}: ${v}`,
      );
      socket.write(`PUT ${path} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`);
    });
  }

  it('refuses a sealed body with an unknown key, or over its route’s limit, before reading a byte of it', async () => {
    const url = await s.app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const { header } = await sealed(new TextEncoder().encode(homework('x')));
      const unknownKey = header
        .split('.')
        .map((part, i) => (i === 1 ? randomUUID() : part))
        .join('.');
      const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
      // 40 MB declared, nothing sent: the answer must come without waiting for the body.
      const unknown = await headersOnly(
        url,
        `/api/submissions/${randomUUID()}`,
        { ...auth, [SEAL_HEADER]: unknownKey },
        40e6,
      );
      expect(unknown).toMatch(/^HTTP\/1.1 400/);
      expect(unknown).toContain('bad_seal');
      // A valid key, but 40 MB for a route that takes 256 KiB: 413 at once, not after buffering 40 MB.
      const tooLarge = await headersOnly(
        url,
        `/api/submissions/${randomUUID()}`,
        { ...auth, [SEAL_HEADER]: header },
        40e6,
      );
      expect(tooLarge).toMatch(/^HTTP\/1.1 413/);
      // A homework file may be 20 MiB, not the 50 MiB of a lesson file.
      const file = await headersOnly(
        url,
        `/api/uploads/${'a'.repeat(64)}`,
        { authorization: `Bearer ${token}`, 'content-type': 'image/png', [SEAL_HEADER]: header },
        30e6,
      );
      expect(file).toMatch(/^HTTP\/1.1 413/);
    } finally {
      await s.app.close();
    }
  });
});
