/** The browser adapter of the Transport port: fetch, with a timeout, in the page or the service worker. */
import { type Transport, TransportError, type TransportRequest, type TransportResponse } from '../sync/ports.ts';

export class FetchTransport implements Transport {
  constructor(
    private readonly baseUrl = '',
    private readonly timeoutMs = 15_000,
  ) {}

  async send(request: TransportRequest): Promise<TransportResponse> {
    const init: RequestInit = {
      method: request.method,
      headers: request.headers ?? {},
      signal: AbortSignal.timeout(this.timeoutMs),
      // The core revalidates with its own If-None-Match: keep the HTTP cache out of the way.
      cache: 'no-store',
    };
    if (request.body !== undefined) init.body = typeof request.body === 'string' ? request.body : request.body.slice();
    let res: Response;
    try {
      res = await fetch(this.baseUrl + request.path, init);
    } catch (err) {
      throw new TransportError(err instanceof Error ? err.message : 'network error');
    }
    const headers: Record<string, string> = {};
    res.headers.forEach((value, name) => {
      headers[name.toLowerCase()] = value;
    });
    let body: Uint8Array;
    try {
      body = new Uint8Array(await res.arrayBuffer());
    } catch (err) {
      // The connection dropped while the body was arriving.
      throw new TransportError(err instanceof Error ? err.message : 'body interrupted');
    }
    return { status: res.status, headers, body };
  }
}

/** SHA-256 with WebCrypto, available in pages and workers on secure origins (and localhost). */
export const webHasher = {
  async sha256Hex(bytes: Uint8Array): Promise<string> {
    const digest = await crypto.subtle.digest('SHA-256', bytes.slice().buffer);
    return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
  },
};
