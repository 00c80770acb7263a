import { randomUUID } from 'node:crypto';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { weekManifestUrl } from '../protocol/paths.ts';
import type { WeekManifest } from '../protocol/schemas.ts';
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
