/** The public keys that sign receipts (and, later, manifests): anyone can check a receipt a pupil shows. */
import { KeysReply } from '../../protocol/schemas.ts';
import type { RoutePlugin } from '../context.ts';
import { currentSigningKey, publicKeys } from '../receipts.ts';

export const keyRoutes: RoutePlugin = async (app, { ctx }) => {
  app.get(
    '/keys',
    { schema: { summary: 'Public Ed25519 keys of this server (SPKI DER, base64)', response: { 200: KeysReply } } },
    async () => {
      await currentSigningKey(ctx.db, ctx.now().toISOString());
      return { keys: await publicKeys(ctx.db) };
    },
  );
};
