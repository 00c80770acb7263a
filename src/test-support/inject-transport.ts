/** A Transport over a Fastify app's inject(): the sync core talking to the real server without a socket. */
import type { FastifyInstance } from 'fastify';
import type { Transport } from '../sync/ports.ts';

export function injectTransport(app: FastifyInstance): Transport {
  return {
    async send(request) {
      const res = await app.inject({
        method: request.method,
        url: request.path,
        headers: request.headers ?? {},
        ...(request.body !== undefined
          ? { payload: typeof request.body === 'string' ? request.body : Buffer.from(request.body) }
          : {}),
      });
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers[k.toLowerCase()] = String(v);
      return { status: res.statusCode, headers, body: new Uint8Array(res.rawPayload) };
    },
  };
}
