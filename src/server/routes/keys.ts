/**
 * The server's public keys: Ed25519 keys that sign receipts and manifests (anyone can check a receipt a pupil shows),
 * and the newest ECDH key devices seal homework to (src/server/sealing.ts).
 */
import { KeysReply } from '../../protocol/schemas.ts';
import type { RoutePlugin } from '../context.ts';
import { currentSigningKey, publicKeys } from '../receipts.ts';
import { sealingKeys } from '../sealing.ts';

export const keyRoutes: RoutePlugin = async (app, { ctx }) => {
  app.get(
    '/keys',
    {
      schema: {
        summary: 'Public Ed25519 keys of this server (SPKI DER, base64) and its ECDH sealing key',
        response: { 200: KeysReply },
      },
    },
    async () => {
      const nowIso = ctx.now().toISOString();
      await currentSigningKey(ctx.db, nowIso);
      const [sealing] = await sealingKeys(ctx.db, nowIso);
      return {
        keys: await publicKeys(ctx.db),
        ...(sealing
          ? { sealing: { keyId: sealing.keyId, algorithm: 'ECDH-P256' as const, publicKey: sealing.publicKey } }
          : {}),
      };
    },
  );
};
