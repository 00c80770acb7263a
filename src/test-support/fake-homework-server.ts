/**
 * The lesson server's homework semantics in memory, for the outbox's unit tests: idempotent PUT by id (same content,
 * same receipt; other content, 409), uploads checked by hash, and switchable failures (down, 503 with Retry-After).
 */
import { createHash } from 'node:crypto';
import { response } from '../sync/fakes.ts';
import { type TransportRequest, type TransportResponse, TransportError } from '../sync/ports.ts';

export type Mode = 'up' | 'down' | { status: number; retryAfter?: string };

export class FakeHomeworkServer {
  mode: Mode = 'up';
  /** What the server committed, by submission id. */
  readonly submissions = new Map<string, { owner: string; body: string; receipt: string }>();
  readonly uploads = new Set<string>();
  /** Returns of copies, by feedback id: the body as received and the version given (one more per copy). */
  readonly feedback = new Map<string, { body: string; version: number }>();
  /** Read marks: feedback id → the first seenAt. */
  readonly seen = new Map<string, string>();
  readonly requests: TransportRequest[] = [];
  /** Answers for specific submission ids (e.g. a 422 refusal). */
  readonly refuse = new Map<string, { status: number; error: string; message: string }>();
  /** Commit, then lose the answer (the connection drops after the server stored the item). */
  dropAnswerOnce = new Set<string>();
  tokens = new Map<string, string>([['token-lea', 'lea']]);
  inFlight = 0;
  maxInFlight = 0;
  /** Submissions received, one by one or in batches. */
  submissionPuts = 0;
  /** Whether POST /api/submissions/batch exists (an older server answers 404). */
  batches = true;
  batchRequests = 0;

  constructor(private readonly tick: () => Promise<void> = async () => undefined) {}

  handle = async (req: TransportRequest): Promise<TransportResponse> => {
    this.requests.push(req);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await this.tick();
      return this.answer(req);
    } finally {
      this.inFlight--;
    }
  };

  /** One submission, as the PUT and each item of a batch take it. */
  private submit(owner: string, id: string, body: string): { status: number; body: unknown } {
    this.submissionPuts++;
    const refusal = this.refuse.get(id);
    if (refusal) return { status: refusal.status, body: refusal };
    const files = (JSON.parse(body) as { files: { sha256: string }[] }).files;
    if (files.some((f) => !this.uploads.has(f.sha256)))
      return { status: 422, body: { error: 'missing_file', message: 'x' } };
    const existing = this.submissions.get(id);
    if (existing && existing.body !== body) return { status: 409, body: { error: 'conflict', message: 'both kept' } };
    const receipt = existing?.receipt ?? `receipt-${id}`;
    this.submissions.set(id, { owner, body, receipt });
    return {
      status: existing ? 200 : 201,
      body: { receipt: { payload: receipt, signature: 'sig', receivedAt: '2026-11-25T08:00:00.000Z' } },
    };
  }

  private answer(req: TransportRequest): TransportResponse {
    if (this.mode === 'down') throw new TransportError('connection refused');
    if (typeof this.mode === 'object') {
      return response(
        this.mode.status,
        { error: 'unavailable', message: 'busy' },
        this.mode.retryAfter ? { 'retry-after': this.mode.retryAfter } : {},
      );
    }
    const owner = this.tokens.get((req.headers?.authorization ?? '').replace('Bearer ', ''));
    if (!owner) return response(401, { error: 'unauthorized', message: 'sign in' });
    const upload = /^\/api\/uploads\/([0-9a-f]{64})$/.exec(req.path);
    if (upload?.[1]) {
      if (req.method === 'HEAD') return response(this.uploads.has(upload[1]) ? 200 : 404);
      const bytes = typeof req.body === 'string' ? new TextEncoder().encode(req.body) : (req.body ?? new Uint8Array());
      if (createHash('sha256').update(bytes).digest('hex') !== upload[1])
        return response(422, { error: 'hash_mismatch', message: 'x' });
      this.uploads.add(upload[1]);
      return response(201, { sha256: upload[1], size: bytes.byteLength, stored: true });
    }
    if (req.path === '/api/submissions/batch' && req.method === 'POST') {
      if (!this.batches) return response(404, { error: 'not_found', message: 'x' });
      this.batchRequests++;
      const text = typeof req.body === 'string' ? req.body : new TextDecoder().decode(req.body);
      const { items } = JSON.parse(text) as { items: { id: string; submission: unknown }[] };
      const results = items.map((item) => {
        const answer = this.submit(owner, item.id, JSON.stringify(item.submission));
        return { id: item.id, status: answer.status, ...(answer.body as object) };
      });
      if (items.some((i) => this.dropAnswerOnce.delete(i.id)))
        throw new TransportError('connection reset after commit');
      return response(200, { results });
    }
    const text = () => (typeof req.body === 'string' ? req.body : new TextDecoder().decode(req.body));
    const seenMark = /^\/api\/feedback\/([^/]+)\/seen$/.exec(req.path);
    if (seenMark?.[1] && req.method === 'PUT') {
      if (!this.feedback.has(seenMark[1])) return response(404, { error: 'not_found', message: 'x' });
      const { seenAt } = JSON.parse(text()) as { seenAt: string };
      if (!this.seen.has(seenMark[1])) this.seen.set(seenMark[1], seenAt);
      return response(200, { feedback: { feedbackId: seenMark[1], seenAt: this.seen.get(seenMark[1]) } });
    }
    const returned = /^\/api\/feedback\/([^/]+)$/.exec(req.path);
    if (returned?.[1] && req.method === 'PUT') {
      const body = text();
      const existing = this.feedback.get(returned[1]);
      if (existing && existing.body !== body) return response(409, { error: 'conflict', message: 'first kept' });
      const { submissionId } = JSON.parse(body) as { submissionId: string };
      const version =
        existing?.version ??
        1 +
          [...this.feedback.values()].filter(
            (f) => (JSON.parse(f.body) as { submissionId: string }).submissionId === submissionId,
          ).length;
      this.feedback.set(returned[1], { body, version });
      return response(existing ? 200 : 201, {
        feedback: { feedbackId: returned[1], version, returnedAt: '2026-11-25T10:00:00.000Z' },
      });
    }
    const submission = /^\/api\/submissions\/(.+)$/.exec(req.path);
    if (submission?.[1] && req.method === 'PUT') {
      const id = submission[1];
      const body = typeof req.body === 'string' ? req.body : new TextDecoder().decode(req.body);
      const answer = this.submit(owner, id, body);
      if (answer.status < 300 && this.dropAnswerOnce.delete(id))
        throw new TransportError('connection reset after commit');
      return response(answer.status, answer.body);
    }
    return response(404, { error: 'not_found', message: 'x' });
  }
}
