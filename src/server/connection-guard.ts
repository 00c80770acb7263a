/**
 * What a client can hold of the server before Fastify sees its request: sockets, requests in flight, time and the
 * bytes of bodies being read. Each is bounded here, on the Node server that buildApp's factory creates, so that slow
 * or numerous clients (anonymous ones above all) cannot keep honest pupils out:
 *
 * - Node's timeouts set explicitly: headers within `headersTimeoutMs`, a whole request within `requestTimeoutMs`;
 * - a minimum body rate: a body that arrives slower than `minBodyBytesPerSecond` once `bodyGraceMs` has passed is
 *   answered 408 and its socket closed (one byte every 2 s would otherwise hold a request for minutes);
 * - per client address, at most `maxConnectionsPerAddress` sockets (a school behind one NAT has hundreds of pupils:
 *   the default is generous, it stops a flood, not a class); HTTP/1.1 runs a connection's requests one at a time, so
 *   this also bounds an address's requests in flight;
 * - per client address, at most `newConnectionsPerSecond` new sockets a second (`newConnectionsBurst` saved up):
 *   beyond, a socket is closed on accept, before Node parses a byte of it. Devices reuse keep-alive connections, and
 *   after an outage they return spread over the recovery period (500 tablets behind one NAT: about 50 new sockets a
 *   second); a client that opens one connection per request (bench:abuse's sealed attacker, ~550 a second) cost the
 *   server ~150 µs each before any of Cartable's code could refuse it;
 * - large bodies (uploads) reserve their declared length from `maxBodyBytesInFlight` before a byte is read; beyond
 *   it they are refused 503 with a Retry-After, so the memory held by bodies being read is bounded;
 * - an answer sent before a large request body was read (a refusal) closes the connection, and the server stops
 *   reading the socket at once, then closes it after `lingerMs` so the answer is still delivered: Node would otherwise
 *   read and discard the rest of the body at network speed (a hostile client pumping 30 MB per request took half the
 *   server's time in bench:abuse). A small unread body (at most 64 KiB declared) is discarded and the connection kept:
 *   closing it made every refused request of a flood a new connection, which costs more than the body;
 * - a client that keeps earning refusals is refused here, before Fastify, for a while (the penalty box): a token whose
 *   requests get `boxAfter` malformed-body answers (400, 411, 413, 415) within 10 s, or an address that gets
 *   `boxAfter` sign-in 429s, is answered 429 with Retry-After for `boxMs` at a tenth of the cost of a refusal through
 *   the routes. Honest devices do not send malformed bodies; the outbox waits out a 429.
 *
 *   request ──> address over its bounds? 429/close ──> large body without room in the budget? 503
 *           └─> tracked until its body is complete (rate checked every second) ──> Fastify
 */
import type { ErrorCode } from '../protocol/error-codes.ts';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { signInUrl } from '../protocol/paths.ts';
import { TokenBucket } from './token-bucket.ts';

export interface GuardOptions {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  minBodyBytesPerSecond: number;
  bodyGraceMs: number;
  maxConnectionsPerAddress: number;
  newConnectionsPerSecond: number;
  newConnectionsBurst: number;
  /** Sum of the declared lengths of bodies over `largeBodyBytes` being read at once. */
  maxBodyBytesInFlight: number;
  largeBodyBytes: number;
  lingerMs: number;
  boxAfter: number;
  boxMs: number;
}

export const DEFAULT_GUARD: GuardOptions = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 300_000,
  keepAliveTimeoutMs: 5_000,
  minBodyBytesPerSecond: 512,
  bodyGraceMs: 10_000,
  maxConnectionsPerAddress: 512,
  newConnectionsPerSecond: 200,
  newConnectionsBurst: 400,
  maxBodyBytesInFlight: 512 * 1024 * 1024,
  largeBodyBytes: 256 * 1024,
  lingerMs: 2000,
  boxAfter: 20,
  boxMs: 30_000,
};

/** The bearer token of a raw request, without a regex when there is none. */
const bearerOf = (req: IncomingMessage) => {
  const header = req.headers.authorization;
  return header?.startsWith('Bearer ') ? header.slice(7) : undefined;
};
/** A sign-in request (with or without a query string): one rule for the guard and for admission. */
export const isSignIn = (method: string | undefined, url: string | undefined): boolean =>
  method === 'POST' && (url === SIGN_IN_PATH || (url ?? '').startsWith(`${SIGN_IN_PATH}?`));
const SIGN_IN_PATH = signInUrl();

/** Counts of what the guard refused, for tests, the access log and /api/ready. */
export interface GuardCounts {
  slowBodies: number;
  connectionsRefused: number;
  bodyBudgetRefused: number;
  boxed: number;
}

/** Declared bodies up to this size are discarded when answered unread; larger ones (or undeclared) close. */
const SMALL_BODY_BYTES = 64 * 1024;

const json = (res: ServerResponse, status: number, error: ErrorCode, message: string, headers = {}) => {
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...(ConnectionGuard.mustClose(res.req) ? { connection: 'close' } : {}),
    ...headers,
  });
  res.end(JSON.stringify({ error, message }));
};

/** Where a socket's request body stood when the sweep first saw it unfinished. */
interface BodyProgress {
  since: number;
  bytes: number;
}

/** The response a socket is serving now (Node sets it when it hands the request to the server's handler). */
// oxlint-disable-next-line no-underscore-dangle -- Node's own field, stable since 0.x; no public equivalent
const servingNow = (socket: Socket) => (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;

/** The guard of one server: `admit` is called first for every request; `install` sets timeouts and socket bounds. */
export class ConnectionGuard {
  readonly counts: GuardCounts = {
    slowBodies: 0,
    connectionsRefused: 0,
    bodyBudgetRefused: 0,
    boxed: 0,
  };
  /** Refusals earned per key ("token:…", "address:…") in the current 10 s window, and boxes with their end. */
  private readonly strikes = new Map<string, { count: number; windowEnds: number }>();
  private readonly boxes = new Map<string, number>();
  private readonly sockets = new Map<string, number>();
  /** New-connection budgets per address, forgotten once full again. */
  private readonly arrivals = new Map<string, TokenBucket>();
  /**
   * Open sockets, with the progress of the body they are reading, if any. Kept per connection, not per request:
   * tracking each request (5,000 a second) cost the durable-submission path 8-13 % in bench:durable's A/B.
   */
  private readonly open = new Map<Socket, BodyProgress | undefined>();
  private bodyBytes = 0;
  private sweeper: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly options: GuardOptions,
    /** A monotonic clock (ms): rates are durations, not dates. */
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Sets Node's timeouts and the per-address socket bound on `server`. */
  install(server: Server): void {
    server.headersTimeout = this.options.headersTimeoutMs;
    server.requestTimeout = this.options.requestTimeoutMs;
    server.keepAliveTimeout = this.options.keepAliveTimeoutMs;
    server.on('connection', (socket: Socket) => {
      const address = socket.remoteAddress ?? '';
      const open = (this.sockets.get(address) ?? 0) + 1;
      if (open > this.options.maxConnectionsPerAddress || !this.mayConnect(address)) {
        this.counts.connectionsRefused++;
        socket.destroy();
        return;
      }
      this.sockets.set(address, open);
      this.open.set(socket, undefined);
      socket.once('close', () => {
        decrement(this.sockets, address);
        this.open.delete(socket);
      });
    });
    this.sweeper = setInterval(() => this.sweep(), 1000);
    this.sweeper.unref();
    server.once('close', () => clearInterval(this.sweeper));
  }

  /** Takes one of `address`'s new-connection tokens, if it has one. */
  private mayConnect(address: string): boolean {
    let bucket = this.arrivals.get(address);
    if (!bucket) {
      bucket = new TokenBucket(this.options.newConnectionsPerSecond, this.options.newConnectionsBurst, this.now);
      this.arrivals.set(address, bucket);
    }
    return bucket.take();
  }

  /** True when the guard answered the request itself (refused); false to let it through. */
  admit(req: IncomingMessage, res: ServerResponse): boolean {
    if (this.boxes.size > 0) {
      const address = req.socket.remoteAddress ?? '';
      const token = bearerOf(req);
      const until = Math.max(
        (token && this.boxes.get(`token:${token}`)) || 0,
        (isSignIn(req.method, req.url) && this.boxes.get(`address:${address}`)) || 0,
      );
      if (until > this.now()) {
        this.counts.boxed++;
        json(res, 429, 'too_many_requests', 'Trop de requêtes refusées : réessaie plus tard.', {
          'retry-after': String(Math.ceil((until - this.now()) / 1000)),
        });
        // A boxed client had twenty clear answers already: once this one is flushed its socket ends at once, without
        // lingering (a paused socket keeps filling kernel buffers with a pumping client's bytes).
        if (ConnectionGuard.mustClose(req)) res.once('finish', () => req.socket.destroy());
        return true;
      }
    }
    const length = Number(req.headers['content-length'] ?? 0);
    if (length > this.options.largeBodyBytes) {
      if (this.bodyBytes + length > this.options.maxBodyBytesInFlight) {
        this.counts.bodyBudgetRefused++;
        this.refuse(
          res,
          503,
          'overloaded',
          'Serveur très chargé : ton travail est gardé et repartira automatiquement.',
          {
            'retry-after': String(5 + Math.floor(Math.random() * 25)),
          },
        );
        return true;
      }
      this.bodyBytes += length;
      res.once('close', () => (this.bodyBytes -= length));
    }
    return false;
  }

  /** Answers a refusal from the guard itself; a large unread body then lingers (see mustClose). */
  private refuse(res: ServerResponse, status: number, error: ErrorCode, message: string, headers = {}): void {
    json(res, status, error, message, headers);
    if (ConnectionGuard.mustClose(res.req)) res.once('finish', () => this.linger(res.req.socket));
  }

  /**
   * Called with every answer once sent (from Fastify's onResponse, which runs anyway: no listener of its own on the
   * hot path): an answer given before its body was read makes the socket linger; refusals feed the penalty box.
   */
  answered(req: IncomingMessage, status: number): void {
    if (ConnectionGuard.mustClose(req)) this.linger(req.socket);
    if (status >= 400) this.noteAnswer(req, status);
  }

  /**
   * Counts the refusals that mark a hostile client (a malformed body for a
   * token, a sign-in 429 for an address) and boxes the key once it has `boxAfter` of them in 10 s.
   */
  private noteAnswer(req: IncomingMessage, status: number): void {
    let key: string | undefined;
    if (isSignIn(req.method, req.url) && status === 429) key = `address:${req.socket.remoteAddress ?? ''}`;
    else if (status === 400 || status === 411 || status === 413 || status === 415) {
      const token = bearerOf(req);
      if (token) key = `token:${token}`;
    }
    if (!key) return;
    const now = this.now();
    const strike = this.strikes.get(key);
    if (!strike || strike.windowEnds <= now) {
      this.strikes.set(key, { count: 1, windowEnds: now + 10_000 });
      return;
    }
    strike.count++;
    if (strike.count >= this.options.boxAfter) {
      this.boxes.set(key, now + this.options.boxMs);
      this.strikes.delete(key);
    }
  }

  /**
   * Stops reading a socket whose request was answered unread (Node resumed the body to discard it at network speed),
   * and closes it after `lingerMs`, once the answer has had time to leave.
   */
  linger(socket: Socket): void {
    if (socket.destroyed) return;
    socket.pause();
    const timer = setTimeout(() => socket.destroy(), this.options.lingerMs);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  }

  /**
   * True when `req`'s body has not been read whole and is large (or of unknown length): its answer closes the
   * connection, and the socket lingers unread. A small unread body is left for Node to discard.
   */
  static mustClose(req: IncomingMessage): boolean {
    if (req.complete) return false;
    const declared = req.headers['content-length'];
    return declared === undefined
      ? req.headers['transfer-encoding'] !== undefined
      : Number(declared) > SMALL_BODY_BYTES;
  }

  /** Bytes reserved by large bodies being read now. */
  bodyBytesInFlight(): number {
    return this.bodyBytes;
  }

  /**
   * Every second: forget ended boxes; for each socket in the middle of a request body, close it (408) once the body
   * has arrived slower than the minimum rate since the sweep first saw it unfinished, past the grace period.
   */
  sweep(): void {
    const now = this.now();
    for (const [key, until] of this.boxes) if (until <= now) this.boxes.delete(key);
    for (const [key, strike] of this.strikes) if (strike.windowEnds <= now) this.strikes.delete(key);
    // A budget full again is the same as none: forget it.
    for (const [address, bucket] of this.arrivals) if (bucket.full()) this.arrivals.delete(address);
    for (const [socket, progress] of this.open) {
      const res = servingNow(socket);
      if (!res || res.req.complete || res.writableEnded || socket.destroyed) {
        if (progress) this.open.set(socket, undefined);
        continue;
      }
      if (!progress) {
        this.open.set(socket, { since: now, bytes: socket.bytesRead });
        continue;
      }
      const elapsed = now - progress.since;
      if (elapsed < this.options.bodyGraceMs) continue;
      if (((socket.bytesRead - progress.bytes) * 1000) / elapsed >= this.options.minBodyBytesPerSecond) continue;
      this.counts.slowBodies++;
      if (!res.headersSent)
        json(res, 408, 'request_timeout', 'Envoi trop lent : la requête a été interrompue, réessaie.');
      socket.destroy();
      this.open.delete(socket);
    }
  }
}

function decrement(map: Map<string, number>, key: string): void {
  const n = (map.get(key) ?? 1) - 1;
  if (n <= 0) map.delete(key);
  else map.set(key, n);
}
