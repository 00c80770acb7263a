/** Who am I, and which classes can I read. */
import { MeReply } from '../../protocol/schemas.ts';
import { authenticate, currentUser } from '../auth/authenticate.ts';
import type { RoutePlugin } from '../context.ts';
import { classesOfUser } from '../db/queries.ts';
import { authErrors, bearer } from './common.ts';

export const meRoutes: RoutePlugin = async (app, { ctx }) => {
  app.get(
    '/me',
    {
      onRequest: authenticate(ctx),
      schema: {
        summary: 'The signed-in user and their classes',
        security: bearer,
        response: { 200: MeReply, ...authErrors },
      },
    },
    async (request) => {
      const user = currentUser(request);
      const classes = await classesOfUser(ctx.db, user);
      return {
        user: { id: user.id, displayName: user.display_name, role: user.role },
        classes: classes.map((c) => ({ id: c.id, name: c.name, schoolName: c.school_name, timeZone: c.time_zone })),
      };
    },
  );
};
