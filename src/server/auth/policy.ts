/**
 * Who may read what: one module, used by every route. Denials answer 404 so that nobody learns whether a class they
 * do not belong to exists.
 */
import type { AppContext } from '../context.ts';
import { type ClassRow, classesOfUser, type UserRow } from '../db/queries.ts';
import { notFound } from '../errors.ts';

/** The class, if `user` may read its published weeks; otherwise throws 404. */
export async function requireClassReader(ctx: AppContext, user: UserRow, classId: string): Promise<ClassRow> {
  const found = (await classesOfUser(ctx.db, user)).find((c) => c.id === classId);
  if (!found) throw notFound('Classe introuvable.');
  return found;
}
