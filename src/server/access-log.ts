/**
 * An optional access log (ACCESS_LOG=path): one line per API request, appended through a buffered stream, for school
 * IT and for the real-HTTP herd check, which reads the server's own record of what reached it and when.
 *
 *   <arrival, ms since epoch> <method> <status> <duration ms> <route pattern> <capacity> <slots>
 *
 * capacity: the writes/s this instance measured it can take when it answered (capacity-meter.ts); slots: its write
 * slots, as the adaptive limit learnt them (concurrency-limit.ts). Both are "-" when unknown.
 *
 * The route pattern (/api/submissions/:id), not the URL: no ids and never a token in the log.
 */
import { createWriteStream } from 'node:fs';
import type { FastifyInstance } from 'fastify';

export interface AccessLogLine {
  arrivalMs: number;
  method: string;
  status: number;
  durationMs: number;
  route: string;
  /** Writes/s this instance measured it can take. */
  capacity?: number;
  /** Its write slots. */
  slots?: number;
}

export function formatAccessLine(l: AccessLogLine): string {
  const capacity = l.capacity === undefined ? '-' : l.capacity.toFixed(0);
  const slots = l.slots === undefined ? '-' : String(l.slots);
  return `${l.arrivalMs} ${l.method} ${l.status} ${l.durationMs.toFixed(1)} ${l.route} ${capacity} ${slots}\n`;
}

/** Reads a log written by installAccessLog; lines it cannot read (a torn last line after a crash) are skipped. */
export function parseAccessLog(text: string): AccessLogLine[] {
  const lines: AccessLogLine[] = [];
  for (const raw of text.split('\n')) {
    const [arrival, method, status, duration, route, capacity, slots] = raw.split(' ');
    const line: AccessLogLine = {
      arrivalMs: Number(arrival),
      method: method ?? '',
      status: Number(status),
      durationMs: Number(duration),
      route: route ?? '',
      ...(capacity && capacity !== '-' ? { capacity: Number(capacity) } : {}),
      ...(slots && slots !== '-' ? { slots: Number(slots) } : {}),
    };
    if (Number.isFinite(line.arrivalMs) && Number.isInteger(line.status) && line.route) lines.push(line);
  }
  return lines;
}

/** Installs the log; returns a writer for answers made outside Fastify (revalidation-fast-path.ts). */
export function installAccessLog(
  app: FastifyInstance,
  path: string,
  /** The capacity figures each line carries, read when the line is written. */
  capacity: () => { capacity?: number; slots?: number } = () => ({}),
): (line: AccessLogLine) => void {
  const stream = createWriteStream(path, { flags: 'a' });
  stream.on('error', (err) => app.log.error({ err }, 'access log'));
  app.addHook('onResponse', async (request, reply) => {
    if (!request.url.startsWith('/api/')) return;
    const durationMs = reply.elapsedTime;
    stream.write(
      formatAccessLine({
        arrivalMs: Math.round(Date.now() - durationMs),
        method: request.method,
        status: reply.statusCode,
        durationMs,
        route: request.routeOptions.url ?? 'unknown',
        ...capacity(),
      }),
    );
  });
  app.addHook('onClose', async () => {
    await new Promise<void>((resolve) => stream.end(resolve));
  });
  return (line) => stream.write(formatAccessLine({ ...capacity(), ...line }));
}
