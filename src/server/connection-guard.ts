/**
 * What a client can hold of the server before Fastify sees its request: sockets, requests in flight, time and the
 * bytes of bodies being read. Each is bounded here, on the Node server that buildApp's factory creates, so that slow
 * or numerous clients (anonymous ones above all) cannot keep honest pupils out:
 *
 * - Node's timeouts set explicitly: headers within `headersTimeoutMs`, a whole request within `requestTimeoutMs`;
 * - a minimum body rate: a body that arrives slower than `minBodyBytesPerSecond` once `bodyGraceMs` has passed is
 *   answered 408 and its socket closed (one byte every 2 s would otherwise hold a request for minutes);
 * - per client address, at most `maxConnectionsPerAddress` sockets and `maxInFlightPerAddress` requests in flight
 *   (a school behind one NAT has hundreds of pupils: the defaults are generous, they stop a flood, not a class);
 * - large bodies (uploads) reserve their declared length from `maxBodyBytesInFlight` before a byte is read; beyond
 *   it they are refused 503 with a Retry-After, so the memory held by bodies being read is bounded;
 * - an answer sent before its request's body was read (a refusal) closes the connection, and the server stops reading
 *   the socket at once, then closes it after `lingerMs` so the answer is still delivered: Node would otherwise read
 *   and discard the rest of the body at network speed (a hostile client pumping 30 MB per request took half the
 *   server's time in bench:abuse);
 * - a client that keeps earning refusals is refused here, before Fastify, for a while (the penalty box): a token whose
 *   requests get `boxAfter` malformed-body answers (400, 411, 413, 415) within 10 s, or an address that gets
 *   `boxAfter` sign-in 429s, is answered 429 with Retry-After for `boxMs` at a tenth of the cost of a refusal through
 *   the routes. Honest devices do not send malformed bodies; the outbox waits out a 429.
 *
 *   request ──> address over its bounds? 429/close ──> large body without room in the budget? 503
 *           └─> tracked until its body is complete (rate checked every second) ──> Fastify
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export interface GuardOptions {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  minBodyBytesPerSecond: number;
  bodyGraceMs: number;
  maxConnectionsPerAddress: number;
  maxInFlightPerAddress: number;
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
  maxInFlightPerAddress: 256,
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
const isSignIn = (req: IncomingMessage) => req.method === 'POST' && req.url === '/api/auth/sign-in';

/** Counts of what the guard refused, for tests, the access log and /api/ready. */
export interface GuardCounts {
  slowBodies: number;
  connectionsRefused: number;
  inFlightRefused: number;
  bodyBudgetRefused: number;
  boxed: number;
}

const json = (res: ServerResponse, status: number, error: string, message: string, headers = {}) => {
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    connection: 'close',
    ...headers,
  });
  res.end(JSON.stringify({ error, message }));
};

interface Tracked {
  req: IncomingMessage;
  res: ServerResponse;
  startedAt: number;
  startBytes: number;
}

/** The guard of one server: `admit` is called first for every request; `install` sets timeouts and socket bounds. */
export class ConnectionGuard {
  readonly counts: GuardCounts = {
    slowBodies: 0,
    connectionsRefused: 0,
    inFlightRefused: 0,
    bodyBudgetRefused: 0,
    boxed: 0,
  };
  /** Refusals earned per key ("token:…", "address:…") in the current 10 s window, and boxes with their end. */
  private readonly strikes = new Map<string, { count: number; windowEnds: number }>();
  private readonly boxes = new Map<string, number>();
  private readonly sockets = new Map<string, number>();
  private readonly inFlight = new Map<string, number>();
  private readonly bodies = new Set<Tracked>();
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
      if (open > this.options.maxConnectionsPerAddress) {
        this.counts.connectionsRefused++;
        socket.destroy();
        return;
      }
      this.sockets.set(address, open);
      socket.once('close', () => decrement(this.sockets, address));
    });
    this.sweeper = setInterval(() => this.sweep(), 1000);
    this.sweeper.unref();
    server.once('close', () => clearInterval(this.sweeper));
  }

  /** True when the guard answered the request itself (refused); false to let it through. */
  admit(req: IncomingMessage, res: ServerResponse): boolean {
    const address = req.socket.remoteAddress ?? '';
    if (this.boxes.size > 0) {
      const token = bearerOf(req);
      const until = Math.max(
        (token && this.boxes.get(`token:${token}`)) || 0,
        (isSignIn(req) && this.boxes.get(`address:${address}`)) || 0,
      );
      if (until > this.now()) {
        this.counts.boxed++;
        json(res, 429, 'too_many_requests', 'Trop de requêtes refusées : réessaie plus tard.', {
          'retry-after': String(Math.ceil((until - this.now()) / 1000)),
        });
        return true;
      }
    }
    const flying = (this.inFlight.get(address) ?? 0) + 1;
    if (flying > this.options.maxInFlightPerAddress) {
      this.counts.inFlightRefused++;
      json(
        res,
        429,
        'too_many_requests',
        'Trop de requêtes en cours depuis cette adresse : réessaie dans un instant.',
        {
          'retry-after': '5',
        },
      );
      return true;
    }
    this.inFlight.set(address, flying);
    // Node's own 'finish' listener (registered before this handler ran) has resumed the unread body to discard it:
    // stop reading instead, and close once the answer has had time to leave.
    res.once('finish', () => {
      if (!req.complete) this.linger(req.socket);
    });
    let reserved = 0;
    res.once('close', () => {
      decrement(this.inFlight, address);
      this.bodyBytes -= reserved;
      reserved = 0;
    });
    const length = Number(req.headers['content-length'] ?? 0);
    const hasBody = length > 0 || req.headers['transfer-encoding'] !== undefined;
    if (length > this.options.largeBodyBytes) {
      if (this.bodyBytes + length > this.options.maxBodyBytesInFlight) {
        this.counts.bodyBudgetRefused++;
        json(res, 503, 'overloaded', 'Serveur très chargé : ton travail est gardé et repartira automatiquement.', {
          'retry-after': String(5 + Math.floor(Math.random() * 25)),
        });
        return true;
      }
      reserved = length;
      this.bodyBytes += length;
    }
    if (hasBody && !req.complete)
      this.bodies.add({ req, res, startedAt: this.now(), startBytes: req.socket.bytesRead });
    return false;
  }

  /**
   * Called with every answer the app gives: counts the refusals that mark a hostile client (a malformed body for a
   * token, a sign-in 429 for an address) and boxes the key once it has `boxAfter` of them in 10 s.
   */
  noteAnswer(req: IncomingMessage, status: number): void {
    let key: string | undefined;
    if (isSignIn(req) && status === 429) key = `address:${req.socket.remoteAddress ?? ''}`;
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

  /** Stops reading a socket whose request was answered unread, and closes it after `lingerMs`. */
  private linger(socket: Socket): void {
    socket.pause();
    const timer = setTimeout(() => socket.destroy(), this.options.lingerMs);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  }

  /** True when `req`'s body has not been read whole: its answer must close the connection. */
  static answeredEarly(req: IncomingMessage): boolean {
    return !req.complete;
  }

  /** Bytes reserved by large bodies being read now. */
  bodyBytesInFlight(): number {
    return this.bodyBytes;
  }

  /** Every second: forget completed bodies and ended boxes, close bodies arriving slower than the minimum rate. */
  sweep(): void {
    const now = this.now();
    for (const [key, until] of this.boxes) if (until <= now) this.boxes.delete(key);
    for (const [key, strike] of this.strikes) if (strike.windowEnds <= now) this.strikes.delete(key);
    for (const t of this.bodies) {
      if (t.req.complete || t.res.writableEnded || t.req.socket.destroyed) {
        this.bodies.delete(t);
        continue;
      }
      const elapsed = now - t.startedAt;
      if (elapsed < this.options.bodyGraceMs) continue;
      const rate = ((t.req.socket.bytesRead - t.startBytes) * 1000) / elapsed;
      if (rate >= this.options.minBodyBytesPerSecond) continue;
      this.bodies.delete(t);
      this.counts.slowBodies++;
      if (!t.res.headersSent)
        json(t.res, 408, 'request_timeout', 'Envoi trop lent : la requête a été interrompue, réessaie.');
      t.req.socket.destroy();
    }
  }
}

function decrement(map: Map<string, number>, key: string): void {
  const n = (map.get(key) ?? 1) - 1;
  if (n <= 0) map.delete(key);
  else map.set(key, n);
}
