/**
 * The hostile clients of bench:abuse, in a process of their own (so their event loop is not the honest client's):
 * - slow bodies: SLOW sockets sending a sign-in whose declared body arrives one byte every 2 s (reopened when cut);
 * - a sign-in flood from FLOOD_ADDRESSES loopback addresses (127.0.1.x), wrong secrets for random and real names;
 * - oversized sealed bodies: PUT submissions with a device token, a seal naming an unknown key and 30 MB declared,
 *   each sent at SEALED_BYTES_PER_SECOND (an uplink: 1 MB/s each, 128 Mbit/s for 16; on loopback an unpaced client
 *   copies gigabytes a second and starves the machine rather than the server).
 * Runs until SIGTERM, then prints one JSON line: the answers each attack got, by status.
 * Usage: tsx bench/abuse-attacker.ts <url> <device token>
 */
import { randomUUID } from 'node:crypto';
import { Agent, request } from 'node:http';
import { connect } from 'node:net';

const [url = '', deviceToken = ''] = process.argv.slice(2);
const { hostname, port } = new URL(url);
const SLOW = Number(process.env.ABUSE_SLOW ?? 200);
const FLOOD_ADDRESSES = Number(process.env.ABUSE_FLOOD_ADDRESSES ?? 64);
/** Sign-ins per second, all addresses together: an attacker's rate, bounded so this process stays light. */
const FLOOD_RATE = Number(process.env.ABUSE_FLOOD_RATE ?? 400);
const SEALED_LOOPS = Number(process.env.ABUSE_SEALED ?? 16);
const SEALED_BYTES_PER_SECOND = Number(process.env.ABUSE_SEALED_BYTES_PER_SECOND ?? 1_000_000);

const counts: Record<string, Record<string, number>> = { slow: {}, flood: {}, sealed: {} };
const count = (kind: string, status: string) => {
  const k = counts[kind] ?? {};
  k[status] = (k[status] ?? 0) + 1;
  counts[kind] = k;
};
let stopping = false;

function slowBody(): void {
  if (stopping) return;
  const socket = connect(Number(port), hostname);
  let answer = '';
  socket.on('data', (d: Buffer) => (answer += d.toString()));
  socket.on('error', () => undefined);
  socket.write(
    `POST /api/auth/sign-in HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 60\r\n\r\n{`,
  );
  const drip = setInterval(() => socket.write(' '), 2000);
  socket.on('close', () => {
    clearInterval(drip);
    count('slow', answer.slice(9, 12) || 'closed');
    setTimeout(slowBody, 100);
  });
}

function flood(): void {
  const agents = Array.from(
    { length: FLOOD_ADDRESSES },
    (_, i) => new Agent({ keepAlive: true, maxSockets: 2, localAddress: `127.0.1.${i + 1}` }),
  );
  let n = 0;
  setInterval(() => {
    if (stopping) return;
    for (let k = 0; k < FLOOD_RATE / 20; k++) {
      const agent = agents[n++ % agents.length];
      const username = n % 3 === 0 ? 'lea' : `inconnu-${randomUUID().slice(0, 8)}`;
      const body = JSON.stringify({ username, secret: `faux-${n}` });
      const req = request(
        {
          host: hostname,
          port,
          path: '/api/auth/sign-in',
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          res.resume();
          count('flood', String(res.statusCode));
        },
      );
      req.on('error', () => count('flood', 'error'));
      req.end(body);
    }
  }, 50);
}

function sealedLoop(): void {
  if (stopping) return;
  const socket = connect(Number(port), hostname);
  let answer = '';
  socket.on('data', (d: Buffer) => {
    answer += d.toString();
    if (answer.includes('\r\n\r\n')) socket.destroy();
  });
  socket.on('error', () => undefined);
  const seal = `v1.${randomUUID()}.${'A'.repeat(87)}.${'A'.repeat(16)}.${'A'.repeat(64)}.${'A'.repeat(16)}`;
  socket.write(
    `PUT /api/submissions/${randomUUID()} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${deviceToken}\r\n` +
      `content-type: application/json\r\ncartable-seal: ${seal}\r\ncontent-length: 30000000\r\n\r\n`,
  );
  // Bytes at the uplink's rate, until the server answers (or stops reading: then the socket's buffer fills).
  const chunk = Buffer.alloc(16 * 1024);
  const pump = setInterval(
    () => {
      if (!socket.destroyed) socket.write(chunk);
    },
    (1000 * chunk.length) / SEALED_BYTES_PER_SECOND,
  );
  socket.once('close', () => clearInterval(pump));
  socket.on('close', () => {
    count('sealed', answer.slice(9, 12) || 'closed');
    setTimeout(sealedLoop, 20);
  });
}

for (let i = 0; i < SLOW; i++) slowBody();
flood();
for (let i = 0; i < SEALED_LOOPS; i++) sealedLoop();

process.on('SIGTERM', () => {
  stopping = true;
  const cpu = process.cpuUsage();
  counts.attackerCpuSeconds = { total: Math.round((cpu.user + cpu.system) / 1e4) / 100 };
  process.stdout.write(`${JSON.stringify(counts)}\n`);
  process.exit(0);
});
