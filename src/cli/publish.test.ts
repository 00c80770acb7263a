import { randomUUID } from 'node:crypto';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { weekManifestUrl } from '../protocol/paths.ts';
import type { WeekManifest } from '../protocol/schemas.ts';
import { buildApp } from '../server/app.ts';
import { startTestServer, type TestServer } from '../test-support/server.ts';
import { idFromName, linkedNames, parseFrontMatter, readFolderWeek } from './folder-week.ts';
import { main, toInstant } from './publish.ts';

const EXAMPLE = join(import.meta.dirname, '../../examples/semaine-exemple');

describe('reading a week from a folder', () => {
  it('reads front matter, ids and the files a lesson links to', () => {
    expect(parseFrontMatter('---\ntitre: « Le cycle »\nordre: 2\n---\n# Corps')).toEqual({
      meta: { titre: '« Le cycle »', ordre: '2' },
      body: '# Corps',
    });
    expect(idFromName('1-Cycle de l’eau (été).md')).toBe('1-cycle-de-l-eau-ete');
    expect(linkedNames('![a](cycle.png) [b](https://x.fr/y.pdf) [c](fiche%20A.pdf) [d](../secret.txt)')).toEqual([
      'cycle.png',
      'fiche A.pdf',
    ]);
    const week = readFolderWeek(EXAMPLE, 50 * 1024 * 1024);
    expect(week.problems).toEqual([]);
    expect(week.classId).toBe('cm2-b');
    expect(week.lessons.map((l) => [l.id, l.order, l.attachments.map((a) => a.name)])).toEqual([
      ['1-le-systeme-solaire', 1, ['planetes.png', 'resume.txt']],
      ['2-la-conjugaison', 2, []],
    ]);
    expect(week.assignments).toMatchObject([{ id: 'devoir-planetes', title: 'Les planètes', due: '2026-12-04 16:00' }]);
  });

  it('reports every problem at once: missing file, forbidden type, oversize file, assignment without a date', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cartable-folder-'));
    try {
      writeFileSync(join(dir, 'a.md'), '![x](absent.png) [y](page.html) [z](gros.pdf)');
      writeFileSync(join(dir, 'page.html'), '<script>alert(1)</script>');
      writeFileSync(join(dir, 'gros.pdf'), Buffer.alloc(2048));
      writeFileSync(join(dir, 'b.md'), '---\ntype: devoir\n---\nSans date');
      const week = readFolderWeek(dir, 1024);
      expect(week.problems).toHaveLength(4);
      expect(week.problems.join('\n')).toMatch(/absent\.png.*\n.*page\.html.*\n.*gros\.pdf.*\n.*b\.md/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads due dates in the school’s time zone', () => {
    expect(toInstant('2026-12-04 16:00', 'Europe/Paris')).toBe('2026-12-04T15:00:00.000Z');
    expect(toInstant('2026-07-04 16h00', 'Europe/Paris')).toBe('2026-07-04T14:00:00.000Z');
    expect(toInstant('2026-12-04T16:00:00Z', 'Europe/Paris')).toBe('2026-12-04T16:00:00.000Z');
    expect(() => toInstant('vendredi', 'Europe/Paris')).toThrow('Date illisible');
  });
});

describe('npm run publish', () => {
  let s: TestServer;
  let url: string;
  beforeAll(async () => {
    s = await startTestServer(new Date());
    url = await s.app.listen({ port: 0, host: '127.0.0.1' });
    process.env.CARTABLE_URL = url;
    process.env.CARTABLE_USER = 'mme.martin';
    process.env.CARTABLE_SECRET = 'tableau-noir';
  });
  afterAll(async () => {
    delete process.env.CARTABLE_URL;
    delete process.env.CARTABLE_USER;
    delete process.env.CARTABLE_SECRET;
    await s.close();
  });

  it('publishes a folder, sends only what the server lacks, and publishes once when run twice', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cartable-publish-'));
    cpSync(EXAMPLE, dir, { recursive: true });
    try {
      const out: string[] = [];
      const dry = await main([dir, '--semaine', '2026-W50', '--essai'], (l) => out.push(l));
      expect(dry).toBe(0);
      expect(out.join('\n')).toContain('à envoyer            planetes.png');
      expect(out.at(-1)).toBe('Essai : rien n’a été envoyé ni publié.');

      out.length = 0;
      expect(await main([dir, '--semaine', '2026-W50'], (l) => out.push(l))).toBe(0);
      expect(out).toContain('  envoyé               planetes.png (1 Ko)');
      expect(out.at(-1)).toBe('Publié : semaine 2026-W50, version 1.');

      out.length = 0;
      expect(await main([dir, '--semaine', '2026-W50'], (l) => out.push(l))).toBe(0);
      expect(out.filter((l) => l.includes('envoyé'))).toEqual([]);
      expect(out.at(-1)).toBe('Déjà publié tel quel : semaine 2026-W50, version 1. Rien de nouveau.');

      // A pupil now reads the week, with the image attached under its name.
      const lea = await s.signIn('lea');
      const manifest = await s.app.inject({
        url: weekManifestUrl('cm2-b', '2026-W50'),
        headers: { authorization: `Bearer ${lea}` },
      });
      const week = manifest.json<WeekManifest>();
      expect(week.lessons[0]?.attachments.map((a) => [a.name, a.type])).toEqual([
        ['planetes.png', 'image/png'],
        ['resume.txt', 'text/plain'],
      ]);
      expect(week.assignments[0]?.dueAt).toBe('2026-12-04T15:00:00.000Z');

      // A corrected lesson is a new version; the unchanged image is not sent again.
      writeFileSync(join(dir, '2-la-conjugaison.md'), '---\ntitre: Français : le passé composé\n---\nCorrigé.');
      out.length = 0;
      expect(await main([dir, '--semaine', '2026-W50'], (l) => out.push(l))).toBe(0);
      expect(out.filter((l) => l.includes('envoyé'))).toEqual([]);
      expect(out.at(-1)).toBe('Publié : semaine 2026-W50, version 2.');

      // Every run signed its tokens out when done: none of the teacher's is left live.
      const live = await s.ctx.db
        .selectFrom('sessions')
        .select('kind')
        .where('user_id', '=', 'demo-mme-martin')
        .where('revoked_at', 'is', null)
        .execute();
      expect(live).toEqual([]);

      // Meanwhile the teacher adds a lesson in the app (version 3). The folder, which lacks it, does not replace it.
      const teacher = await s.signIn('mme.martin');
      const inApp = await s.app.inject({
        url: '/api/classes/cm2-b/weeks/2026-W50/latest',
        headers: { authorization: `Bearer ${teacher}` },
      });
      const v2 = inApp.json<WeekManifest>();
      const added = await s.app.inject({
        method: 'PUT',
        url: `/api/classes/cm2-b/weeks/2026-W50/publications/${randomUUID()}`,
        headers: { authorization: `Bearer ${teacher}` },
        payload: {
          baseVersion: 2,
          lessons: [
            ...v2.lessons.map((l) => ({
              ...l,
              attachments: l.attachments.map(({ sha256, name }) => ({ sha256, name })),
            })),
            { id: 'ajout-appli', title: 'Ajoutée dans l’application', order: 9, body: 'x', attachments: [] },
          ],
          assignments: v2.assignments,
        },
      });
      expect(added.statusCode).toBe(201);
      writeFileSync(
        join(dir, '2-la-conjugaison.md'),
        '---\ntitre: Français : le passé composé\n---\nCorrigé deux fois.',
      );
      out.length = 0;
      expect(await main([dir, '--semaine', '2026-W50'], (l) => out.push(l))).toBe(3);
      expect(out).toContain('  retirerait : Ajoutée dans l’application');
      expect(out).toContain('  modifierait : Français : le passé composé');
      expect(out.at(-1)).toContain('Rien n’a été publié');
      const still = await s.app.inject({
        url: '/api/classes/cm2-b/weeks/2026-W50/latest',
        headers: { authorization: `Bearer ${teacher}` },
      });
      expect(still.json<WeekManifest>().version).toBe(3);
      // Told to, it replaces: version 4, over version 3.
      out.length = 0;
      expect(await main([dir, '--semaine', '2026-W50', '--remplacer'], (l) => out.push(l))).toBe(0);
      expect(out.at(-1)).toBe('Publié : semaine 2026-W50, version 4.');
      // The same lessons in another order are a new version, not "already published".
      writeFileSync(
        join(dir, '2-la-conjugaison.md'),
        '---\ntitre: Français : le passé composé\nordre: 0\n---\nCorrigé deux fois.',
      );
      out.length = 0;
      expect(await main([dir, '--semaine', '2026-W50'], (l) => out.push(l))).toBe(0);
      expect(out.at(-1)).toBe('Publié : semaine 2026-W50, version 5.');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('sends nothing when the folder has a problem, and says what to fix', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cartable-publish-'));
    try {
      writeFileSync(join(dir, 'a.md'), '![x](absent.png)');
      const out: string[] = [];
      expect(await main([dir], (l) => out.push(l))).toBe(2);
      expect(out).toEqual([
        'Rien n’a été envoyé. À corriger dans le dossier :',
        '  - a.md : « absent.png » est cité mais absent du dossier.',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('npm run publish, when the server sheds load', () => {
  // The real server with its writes paused (MAX_CONCURRENT_WRITES=0): every write is refused 503 with Retry-After
  // and the spread, before Fastify, as under overload; reads and sign-in are served.
  async function pausedServer() {
    const s = await startTestServer(new Date());
    const paused = await buildApp(s.ctx, {
      admission: { maxConcurrentWrites: 0, maxQueuedWrites: 0, maxEventLoopDelayMs: 0, maxSignInsPerSecond: 0 },
    });
    const url = await paused.listen({ port: 0, host: '127.0.0.1' });
    return { s, paused, url, port: Number(new URL(url).port) };
  }
  const env = (url: string, extra: Record<string, string> = {}) => {
    const before = { ...process.env };
    Object.assign(process.env, {
      CARTABLE_URL: url,
      CARTABLE_USER: 'mme.martin',
      CARTABLE_SECRET: 'tableau-noir',
      ...extra,
    });
    return () => {
      for (const k of ['CARTABLE_URL', 'CARTABLE_USER', 'CARTABLE_SECRET', 'CARTABLE_ATTENTE_MAX'])
        delete process.env[k];
      Object.assign(process.env, before);
    };
  };

  it('waits the time the server asked, then publishes once when it is back', async () => {
    const { s, paused, url, port } = await pausedServer();
    const restore = env(url);
    const dir = mkdtempSync(join(tmpdir(), 'cartable-publish-'));
    cpSync(EXAMPLE, dir, { recursive: true });
    let swapped: Promise<unknown> | undefined;
    try {
      const out: string[] = [];
      const code = await main([dir, '--semaine', '2026-W51'], (line) => {
        out.push(line);
        // The first refusal seen: the overloaded instance goes, a healthy one takes its address.
        if (line.includes('nouvel essai dans') && !swapped)
          swapped = paused.close().then(() => s.app.listen({ port, host: '127.0.0.1' }));
      });
      expect(code).toBe(0);
      expect(out.find((l) => l.includes('503'))).toMatch(/le serveur a répondu 503 : nouvel essai dans \d+ s/);
      expect(out.at(-1)).toBe('Publié : semaine 2026-W51, version 1.');
      const versions = await s.ctx.db
        .selectFrom('week_versions')
        .select('version')
        .where('class_id', '=', 'cm2-b')
        .where('week', '=', '2026-W51')
        .execute();
      expect(versions).toEqual([{ version: 1 }]);
    } finally {
      restore();
      rmSync(dir, { recursive: true, force: true });
      await swapped;
      await paused.close();
      await s.close();
    }
  }, 60_000);

  it('gives up after CARTABLE_ATTENTE_MAX with a clear message, having sent nothing twice', async () => {
    const { s, paused, url } = await pausedServer();
    const restore = env(url, { CARTABLE_ATTENTE_MAX: '1' });
    const dir = mkdtempSync(join(tmpdir(), 'cartable-publish-'));
    cpSync(EXAMPLE, dir, { recursive: true });
    try {
      const out: string[] = [];
      await expect(main([dir, '--semaine', '2026-W51'], (l) => out.push(l))).rejects.toThrow(
        /est occupé \(503\) depuis trop longtemps\. Rien n’est perdu/,
      );
      expect(out.filter((l) => l.includes('envoyé '))).toEqual([]);
    } finally {
      restore();
      rmSync(dir, { recursive: true, force: true });
      await paused.close();
      await s.close();
    }
  }, 60_000);

  it('stops at once on a final refusal (a wrong secret): no retry', async () => {
    const { s, paused, url } = await pausedServer();
    const restore = env(url, { CARTABLE_SECRET: 'pas-le-bon' });
    try {
      const out: string[] = [];
      await expect(main([EXAMPLE, '--essai'], (l) => out.push(l))).rejects.toThrow(/Connexion refusée \(401\)/);
      expect(out.filter((l) => l.includes('nouvel essai'))).toEqual([]);
    } finally {
      restore();
      await paused.close();
      await s.close();
    }
  });
});
