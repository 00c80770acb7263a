import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer } from '../test-support/server.ts';
import { formatAccessLine, parseAccessLog } from './access-log.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('access log', () => {
  it('writes one line per API request, with the route pattern and never the token or the id', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cartable-log-'));
    dirs.push(dir);
    const path = join(dir, 'access.log');
    const server = await startTestServer(undefined, { accessLog: path });
    const token = await server.signIn('lea');
    const before = Date.now();
    await server.app.inject({ method: 'GET', url: '/api/me', headers: { authorization: `Bearer ${token}` } });
    await server.app.inject({
      method: 'PUT',
      url: '/api/submissions/4b7c0f0e-0000-4000-8000-000000000000',
      payload: {},
    });
    await server.app.inject({ method: 'GET', url: '/api/nothing-here' });
    await server.close(); // flushes the log
    const text = readFileSync(path, 'utf8');
    expect(text).not.toContain(token);
    expect(text).not.toContain('4b7c0f0e');
    const lines = parseAccessLog(text);
    expect(lines.map((l) => `${l.method} ${l.status} ${l.route}`)).toEqual([
      'POST 200 /api/auth/sign-in',
      'GET 200 /api/me',
      'PUT 401 /api/submissions/:id',
      'GET 404 unknown',
    ]);
    expect(lines[1]?.arrivalMs).toBeGreaterThanOrEqual(before - 5);
  });

  it('skips a torn last line instead of failing', () => {
    const whole = formatAccessLine({ arrivalMs: 1000, method: 'PUT', status: 201, durationMs: 3.2, route: '/api/x' });
    expect(parseAccessLog(`${whole}1001 PU`)).toEqual([
      { arrivalMs: 1000, method: 'PUT', status: 201, durationMs: 3.2, route: '/api/x' },
    ]);
  });
});
