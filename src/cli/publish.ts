/**
 * `npm run publish -- <dossier>`: publishes a week prepared as a folder of Markdown files and attachments.
 *
 *   CARTABLE_URL      the server (default http://localhost:8080)
 *   CARTABLE_USER     the teacher's username (or --user)
 *   CARTABLE_SECRET   the teacher's secret (asked on the terminal when unset; never on the command line)
 *   --classe, --semaine, --publication   override semaine.md
 *   --essai           checks everything and says what would be sent, sends nothing
 *   --remplacer       publishes over a version made elsewhere (in the app) since this folder was last published
 *
 * The folder remembers the version it last published (.cartable.json). When the week has a newer version made
 * elsewhere, the publisher lists what publishing the folder would add, change and remove, and stops: nothing made in
 * the app is replaced without --remplacer.
 *
 * Files the server already holds are not sent again. Running it twice publishes once: the publication id is the hash
 * of what is published.
 *
 * A busy or unreachable server is waited for (p-retry): a 429/503 with Retry-After is retried when the server said
 * (it spreads its clients' return slots itself; with only its spread, at a random moment within it), a network error
 * or a bare 5xx after a randomised exponential backoff; a final 4xx stops at once. CARTABLE_ATTENTE_MAX (seconds,
 * default 1800) bounds the whole wait. Every request is idempotent (PUTs by content hash), so a retry never doubles.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import pRetry from 'p-retry';
import { RETRY_SPREAD_HEADER } from '../protocol/paths.ts';
import { parseRetryAfter } from '../sync/backoff.ts';
import { classify } from '../sync/outbox-classify.ts';
import { isoWeekAt, isValidIsoWeek } from '../protocol/iso-week.ts';
import { MAX_LESSON_FILE_BYTES } from '../protocol/lesson-files.ts';
import type { MeReply, PublishBody, PublishReply, SignInReply, WeekManifest } from '../protocol/schemas.ts';
import { contentOfManifest, hasChanges, weekChanges } from '../sync/week-merge.ts';
import { zonedInstant } from '../protocol/zoned-time.ts';
import { type LocalFile, readFolderWeek } from './folder-week.ts';

const kb = (bytes: number) => `${Math.max(1, Math.round(bytes / 1024))} Ko`;

/** A problem the teacher can fix: printed as it is, without a stack. */
export class CliError extends Error {}

/** "2026-12-04 16:00" (school time) or a full ISO date-time → ISO in UTC. */
export function toInstant(text: string, timeZone: string): string {
  const local = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{1,2})[:h](\d{2}))?$/.exec(text.trim());
  if (local) {
    const [, y, mo, d, h = '8', mi = '00'] = local;
    return new Date(
      zonedInstant({ year: Number(y), month: Number(mo), day: Number(d) }, Number(h), Number(mi), timeZone),
    ).toISOString();
  }
  const parsed = Date.parse(text);
  if (Number.isNaN(parsed)) throw new CliError(`Date illisible : « ${text} » (attendu : 2026-12-04 16:00).`);
  return new Date(parsed).toISOString();
}

/** A UUID-shaped id from the publication's content: publishing the same thing twice publishes once. */
export function publicationId(classId: string, week: string, body: PublishBody): string {
  const h = createHash('sha256')
    .update(JSON.stringify([classId, week, body]))
    .digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** An answer the server asked us to come back for (429, 503, any 5xx), or a network failure (status 0). */
class TryAgain extends Error {
  constructor(
    readonly status: number,
    /** When the server said to come back, in ms; or a random moment within its spread. */
    readonly waitMs: number | undefined,
  ) {
    super(status ? `le serveur a répondu ${status}` : 'le serveur ne répond pas');
  }
}

/** How long the publisher waits for a busy or unreachable server before it gives up, in ms. */
const maxWaitMs = () => Number(process.env.CARTABLE_ATTENTE_MAX ?? 1800) * 1000;

async function attempt(base: string, path: string, init: RequestInit, headers: Record<string, string>) {
  let res: Response;
  try {
    res = await fetch(base + path, { ...init, headers });
  } catch {
    throw new TryAgain(0, undefined);
  }
  const text = await res.text();
  if (classify(res.status) === 'retry') {
    const after = parseRetryAfter(res.headers.get('retry-after') ?? undefined, Date.now());
    const spread = Number(res.headers.get(RETRY_SPREAD_HEADER) ?? 0) * 1000;
    throw new TryAgain(res.status, after ?? (spread > 0 ? Math.floor(Math.random() * spread) : undefined));
  }
  let body: unknown = undefined;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = { message: text.slice(0, 200) };
  }
  return { status: res.status, body };
}

/** The log the retries report to (main's). */
let say: (line: string) => void = () => undefined;

async function api(
  base: string,
  path: string,
  init: RequestInit & { token?: string; once?: boolean } = {},
): Promise<{ status: number; body: unknown }> {
  const headers: Record<string, string> = { ...(init.headers as Record<string, string>) };
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  try {
    // A sign-out is tried once: the token expires by itself, and nobody should wait half an hour for it.
    if (init.once) return await attempt(base, path, init, headers);
    return await pRetry(() => attempt(base, path, init, headers), {
      retries: 10,
      minTimeout: 1000,
      maxTimeout: 60_000,
      randomize: true,
      maxRetryTime: maxWaitMs(),
      onFailedAttempt: async ({ error, retriesLeft }) => {
        if (!(error instanceof TryAgain) || retriesLeft === 0) return;
        const wait = error.waitMs;
        say(
          wait === undefined
            ? `  ${error.message} : nouvel essai bientôt…`
            : `  ${error.message} : nouvel essai dans ${Math.ceil(wait / 1000)} s, comme il l’a demandé…`,
        );
        // The server's own delay replaces the backoff (shouldConsumeRetry below): it already spread its clients.
        if (wait !== undefined) await new Promise((r) => setTimeout(r, wait));
      },
      shouldConsumeRetry: ({ error }) => !(error instanceof TryAgain && error.waitMs !== undefined),
    });
  } catch (err) {
    if (err instanceof TryAgain)
      throw new CliError(
        err.status === 0
          ? `Le serveur ${base} ne répond pas. Vérifiez l’adresse (CARTABLE_URL) et le réseau ; rien n’est perdu, relancez plus tard.`
          : `Le serveur ${base} est occupé (${err.status}) depuis trop longtemps. Rien n’est perdu : relancez plus tard, ce qui est déjà envoyé ne sera pas renvoyé.`,
      );
    throw err;
  }
}

const reason = (body: unknown) => (body as { message?: string } | undefined)?.message ?? 'réponse inattendue';

/** Where a folder remembers the version it last published, per class and week. */
const STATE_FILE = '.cartable.json';

function lastPublished(folder: string, classId: string, week: string): number | undefined {
  try {
    const state = JSON.parse(readFileSync(join(folder, STATE_FILE), 'utf8')) as Record<string, unknown>;
    const v = state[`${classId}/${week}`];
    return typeof v === 'number' ? v : undefined;
  } catch {
    return undefined;
  }
}

function remember(folder: string, classId: string, week: string, version: number): void {
  let state: Record<string, unknown> = {};
  try {
    state = JSON.parse(readFileSync(join(folder, STATE_FILE), 'utf8')) as Record<string, unknown>;
  } catch {
    // first publication from this folder
  }
  state[`${classId}/${week}`] = version;
  try {
    writeFileSync(join(folder, STATE_FILE), `${JSON.stringify(state, null, 2)}\n`);
  } catch {
    // A read-only folder: the next run asks for --remplacer if the week moved on, which is safe.
  }
}

async function askSecret(): Promise<string> {
  if (!process.stdin.isTTY) throw new CliError('CARTABLE_SECRET manque (et pas de terminal pour le demander).');
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: true });
  const secret = await rl.question('Code secret : ');
  rl.close();
  return secret;
}

export async function main(argv: string[], log: (line: string) => void = console.log): Promise<number> {
  say = log;
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      user: { type: 'string' },
      classe: { type: 'string' },
      semaine: { type: 'string' },
      publication: { type: 'string' },
      essai: { type: 'boolean', default: false },
      remplacer: { type: 'boolean', default: false },
    },
  });
  const folder = positionals[0];
  if (!folder)
    throw new CliError('Usage : npm run publish -- <dossier> [--classe cm2-b] [--semaine 2026-W49] [--essai]');
  const base = (process.env.CARTABLE_URL ?? 'http://localhost:8080').replace(/\/$/, '');
  const local = readFolderWeek(folder, MAX_LESSON_FILE_BYTES);
  if (local.problems.length > 0) {
    log('Rien n’a été envoyé. À corriger dans le dossier :');
    for (const p of local.problems) log(`  - ${p}`);
    return 2;
  }

  const username = values.user ?? process.env.CARTABLE_USER;
  if (!username) throw new CliError('Identifiant manquant : CARTABLE_USER=… ou --user …');
  const secret = process.env.CARTABLE_SECRET ?? (await askSecret());
  const signIn = await api(base, '/api/auth/sign-in', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, secret }),
  });
  if (signIn.status !== 200) throw new CliError(`Connexion refusée (${signIn.status}) : ${reason(signIn.body)}`);
  const reply = signIn.body as SignInReply;
  const me = (await api(base, '/api/me', { token: reply.token })).body as MeReply;
  // The session is not needed past this point: end it now. Files and the publication go with the device token,
  // which outlives the 15-minute access token however long a big week takes to upload.
  await api(base, '/api/auth/sign-out', { method: 'POST', token: reply.token, once: true }).catch(() => undefined);
  try {
    return await send(base, reply.deviceToken, me, local, { ...values, folder }, log);
  } finally {
    await api(base, '/api/auth/sign-out', { method: 'POST', token: reply.deviceToken, once: true }).catch(
      () => undefined,
    );
  }
}

/** Checks the class and week, then uploads what the server lacks and publishes, with `token`. */
async function send(
  base: string,
  token: string,
  me: MeReply,
  local: ReturnType<typeof readFolderWeek>,
  values: {
    classe?: string | undefined;
    semaine?: string | undefined;
    publication?: string | undefined;
    essai?: boolean | undefined;
    remplacer?: boolean | undefined;
    folder: string;
  },
  log: (line: string) => void,
): Promise<number> {
  const classId = values.classe ?? local.classId ?? (me.classes.length === 1 ? me.classes[0]?.id : undefined);
  const klass = me.classes.find((c) => c.id === classId);
  if (!klass)
    throw new CliError(
      `Classe ${classId ? `« ${classId} » inconnue` : 'à préciser'} : ${me.classes.map((c) => c.id).join(', ') || 'aucune classe'}.`,
    );
  const week = values.semaine ?? local.week ?? isoWeekAt(Date.now(), klass.timeZone);
  if (!isValidIsoWeek(week)) throw new CliError(`Semaine invalide : « ${week} » (attendu : 2026-W49).`);

  const body: PublishBody = {
    lessons: local.lessons.map((l) => ({
      id: l.id,
      title: l.title,
      order: l.order,
      body: l.body,
      attachments: l.attachments.map((a) => ({ sha256: a.sha256, name: a.name })),
    })),
    assignments: local.assignments.map((a) => ({
      id: a.id,
      title: a.title,
      instructions: a.instructions,
      dueAt: toInstant(a.due, klass.timeZone),
    })),
  };
  const release = values.publication ?? local.releaseAt;
  if (release) body.releaseAt = toInstant(release, klass.timeZone);

  log(`Semaine ${week} de ${klass.name} : ${body.lessons.length} leçon(s), ${body.assignments.length} devoir(s).`);

  // What the week is at now, and whether this folder was the last to publish it.
  const latest = await api(base, `/api/classes/${klass.id}/weeks/${week}/latest`, { token });
  if (latest.status !== 200 && latest.status !== 404)
    throw new CliError(`Impossible de lire la semaine publiée (${latest.status}) : ${reason(latest.body)}`);
  const current = latest.status === 200 ? (latest.body as WeekManifest) : undefined;
  const mine = { lessons: body.lessons, assignments: body.assignments };
  if (current) {
    const theirs = contentOfManifest(current);
    // Nothing new: the week already says what the folder says, lessons in the same order.
    const order = (lessons: { id: string; order: number }[]) =>
      [...lessons]
        .sort((a, b) => a.order - b.order)
        .map((l) => l.id)
        .join();
    if (!hasChanges(weekChanges(theirs, mine)) && order(theirs.lessons) === order(mine.lessons)) {
      log(`Déjà publié tel quel : semaine ${week}, version ${current.version}. Rien de nouveau.`);
      remember(values.folder, klass.id, week, current.version);
      return 0;
    }
    const last = lastPublished(values.folder, klass.id, week);
    if (last !== current.version && !values.remplacer) {
      const changes = weekChanges(theirs, mine);
      log(
        last === undefined
          ? `La semaine ${week} a déjà une version ${current.version}, publiée le ${current.publishedAt} hors de ce dossier.`
          : `La semaine ${week} est passée de la version ${last} (ce dossier) à la version ${current.version}, publiée le ${current.publishedAt} ailleurs (dans l’application ?).`,
      );
      log('Publier ce dossier par-dessus :');
      const all = [changes.lessons, changes.assignments];
      const line = (label: string, titles: string[]) => titles.length > 0 && log(`  ${label} ${titles.join(' · ')}`);
      line(
        'ajouterait :',
        all.flatMap((c) => c.added),
      );
      line(
        'modifierait :',
        all.flatMap((c) => c.changed),
      );
      line(
        'retirerait :',
        all.flatMap((c) => c.removed),
      );
      log('Rien n’a été publié. Reportez ces changements dans le dossier, ou relancez avec --remplacer.');
      return 3;
    }
  }
  body.baseVersion = current?.version ?? 0;
  const toSend: LocalFile[] = [];
  for (const file of local.files) {
    const known = await api(base, `/api/lesson-files/${file.sha256}`, { token });
    if (known.status === 200) log(`  déjà sur le serveur  ${file.name}`);
    else toSend.push(file);
  }
  if (values.essai) {
    for (const f of toSend) log(`  à envoyer            ${f.name} (${kb(f.size)})`);
    log('Essai : rien n’a été envoyé ni publié.');
    return 0;
  }
  for (const file of toSend) {
    const put = await api(base, `/api/lesson-files/${file.sha256}`, {
      method: 'PUT',
      token,
      headers: { 'content-type': file.type },
      body: readFileSync(file.path),
    });
    if (put.status !== 200 && put.status !== 201)
      throw new CliError(`${file.name} refusé (${put.status}) : ${reason(put.body)}`);
    log(`  envoyé               ${file.name} (${kb(file.size)})`);
  }
  const id = publicationId(klass.id, week, body);
  const published = await api(base, `/api/classes/${klass.id}/weeks/${week}/publications/${id}`, {
    method: 'PUT',
    token,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (published.status !== 200 && published.status !== 201)
    throw new CliError(`Publication refusée (${published.status}) : ${reason(published.body)}`);
  const v = published.body as PublishReply;
  remember(values.folder, klass.id, week, v.version);
  log(
    published.status === 201
      ? `Publié : semaine ${week}, version ${v.version}${v.releaseAt ? `, visible le ${v.releaseAt}` : ''}.`
      : `Déjà publié tel quel : semaine ${week}, version ${v.version}. Rien de nouveau.`,
  );
  return 0;
}
