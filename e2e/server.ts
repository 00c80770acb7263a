/** Starts the real built server (dist/server/main.js) as a child process, on a free loopback port and a temp data dir. */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RunningServer {
  url: string;
  /** The process id of the running server, for memory readings. */
  pid(): number | undefined;
  /** What the server has printed since it last started. */
  output(): string;
  port: number;
  dataDir: string;
  /** Stops the process (SIGKILL when `crash`), and waits until it has exited. */
  stop(options?: { crash?: boolean }): Promise<void>;
  /** Starts it again on the same port and data, with `env` added to what it was started with. */
  start(env?: Record<string, string>): Promise<void>;
  /** Stops it and deletes its data. */
  dispose(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function waitForHealth(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited (${child.exitCode}):\n${output()}`);
    try {
      const res = await fetch(`${url}/api/health`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`server did not become healthy:\n${output()}`);
}

/** Starts a server with its own data directory; the demo is seeded at start. */
export async function startServer(env: Record<string, string> = {}): Promise<RunningServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'cartable-e2e-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  let log = '';

  const start = async (extra: Record<string, string> = {}) => {
    log = '';
    child = spawn(process.execPath, ['dist/server/main.js'], {
      // The event-loop shedder and the budget of secret checks are off unless a spec (or a benchmark) sets them:
      // Chromium and the server share two cores here, and a busy machine or a spec that signs in often must not be
      // refused (src/server/admission.test.ts drives both).
      env: {
        ...process.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        DATA_DIR: dataDir,
        LOG_LEVEL: 'warn',
        MAX_EVENT_LOOP_DELAY_MS: '0',
        MAX_SIGN_INS_PER_SECOND: '0',
        ...env,
        ...extra,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (d: Buffer) => (log += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
    await waitForHealth(url, child, () => log);
  };

  const stop = async (options: { crash?: boolean } = {}) => {
    const running = child;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    running.kill(options.crash ? 'SIGKILL' : 'SIGTERM');
    await exited;
  };

  await start();
  return {
    url,
    pid: () => child?.pid,
    output: () => log,
    port,
    dataDir,
    stop,
    start,
    async dispose() {
      await stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
