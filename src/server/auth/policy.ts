/**
 * Who may read what: one module, used by every route. Denials answer 404 so that nobody learns whether a class they
 * do not belong to exists.
 */
import type { AppContext } from '../context.ts';
import { type ClassRow, classesOfUser, type UserRow } from '../db/queries.ts';
import { HttpError, notFound } from '../errors.ts';

/** The class, if `user` may read its published weeks; otherwise throws 404. */
export async function requireClassReader(ctx: AppContext, user: UserRow, classId: string): Promise<ClassRow> {
  const found = (await readableClasses(ctx, user)).find((c) => c.id === classId);
  if (!found) throw notFound('Classe introuvable.');
  return found;
}

/** The classes `user` reads, through the hot cache. */
async function readableClasses(ctx: AppContext, user: UserRow): Promise<ClassRow[]> {
  const now = ctx.now().getTime();
  const cached = ctx.hot?.classes.get(user.id, now);
  if (cached) return cached;
  const classes = await classesOfUser(ctx.db, user);
  ctx.hot?.classes.set(user.id, classes, now + ctx.hot.ttlMs);
  return classes;
}

/** 403 for anyone but a pupil: only pupils hand in homework. */
export function requirePupil(user: UserRow): void {
  if (user.role !== 'pupil') throw new HttpError(403, 'pupils_only', 'Seuls les élèves rendent des devoirs.');
}

/** The class, if `user` is one of its pupils; 403 for other roles, 404 for a class that is not theirs. */
export async function requirePupilOf(ctx: AppContext, user: UserRow, classId: string): Promise<ClassRow> {
  requirePupil(user);
  return requireClassReader(ctx, user, classId);
}

/** The class, if `user` teaches it (or administers its school); otherwise 404. */
export async function requireTeacherOf(ctx: AppContext, user: UserRow, classId: string): Promise<ClassRow> {
  if (user.role === 'pupil') throw notFound('Classe introuvable.');
  return requireClassReader(ctx, user, classId);
}

/** 403 unless `user` is an admin; admins reach only their own school (every query is scoped by their school). */
export function requireAdmin(user: UserRow): void {
  if (user.role !== 'admin') throw new HttpError(403, 'admins_only', 'Réservé aux administrateurs de l’école.');
}
