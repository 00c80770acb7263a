/**
 * Security headers on every answer. The CSP allows no inline script and no other origin: the app's code comes from
 * this server only, lessons cannot load anything from elsewhere, and no other site may frame Cartable.
 */
import type { FastifyInstance } from 'fastify';
import { ConnectionGuard } from './connection-guard.ts';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob:",
  "connect-src 'self'",
  "worker-src 'self'",
  "manifest-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * Installs the headers (one hook: every hook costs each request). API answers are `no-store` unless their route says otherwise (immutable files, a manifest to
 * revalidate, the sync policy): sign-in answers carry secrets and most others a pupil's data, and docs/deploy.md puts
 * a shared cache in front of the server, so private must be what a route forgets to say, not public.
 */
export function installSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onSend', (request, reply, payload, done) => {
    if (request.url.startsWith('/api/') && !reply.hasHeader('cache-control'))
      void reply.header('cache-control', 'no-store');
    // An answer sent before a large request body was read (a refusal) ends the connection: the rest of that body is
    // never read (connection-guard.ts stops the socket), so the connection cannot carry another request.
    if (ConnectionGuard.mustClose(request.raw)) void reply.header('connection', 'close');
    // A 304 has no body to protect, and the device keeps the headers of the answer it revalidates: leaving them out
    // halves the bytes of the most frequent answer (bench:delta).
    if (reply.statusCode === 304) {
      done(null, payload);
      return;
    }
    void reply
      .header('content-security-policy', CONTENT_SECURITY_POLICY)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header('x-frame-options', 'DENY')
      .header('cross-origin-opener-policy', 'same-origin');
    done(null, payload);
  });
}
