import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../test-support/server.ts';
import { insertSession } from '../db/queries.ts';
import { tokenHash } from '../auth/secrets.ts';
import { DEMO_CLASS_ID } from '../seed/demo.ts';
import { cardSecret, parsePupilCsv, usernameFrom } from './pupil-csv.ts';

describe('parsePupilCsv', () => {
  it('reads semicolons or commas, quotes, accents, and makes missing usernames from the names', () => {
    expect(usernameFrom('Léa-Marie', "D'Artagnan")).toBe('lea-marie.d-artagnan');
    const { pupils, rejected } = parsePupilCsv(
      '\uFEFFPrénom;Nom;Identifiant\r\nLéa;Dubois;lea.d\n"Jean; Paul";Petit;\n\n',
    );
    expect(rejected).toEqual([]);
    expect(pupils).toEqual([
      { line: 2, firstName: 'Léa', lastName: 'Dubois', username: 'lea.d' },
      { line: 3, firstName: 'Jean; Paul', lastName: 'Petit', username: 'jean-paul.petit' },
    ]);
    expect(parsePupilCsv('prenom,nom\nHugo,Petit').pupils[0]?.username).toBe('hugo.petit');
  });

  it('keeps the valid lines and gives each rejected one its reason', () => {
    const csv = [
      'prenom;nom;identifiant',
      'Léa;Dubois;',
      ';Sans-prénom;',
      'Trop;De;Colonnes;ici',
      '"Guillemet;Ouvert;',
      'Hugo;Petit;lea.dubois',
      'Inès;Haddad;Pas Valide!',
      'Noé;Martin;',
    ].join('\n');
    const { pupils, rejected } = parsePupilCsv(csv);
    expect(pupils.map((p) => [p.line, p.username])).toEqual([
      [2, 'lea.dubois'],
      [8, 'noe.martin'],
    ]);
    expect(rejected).toEqual([
      { line: 3, reason: 'prénom ou nom manquant' },
      { line: 4, reason: '4 colonnes au lieu de 3' },
      { line: 5, reason: 'guillemet ouvert mais jamais fermé' },
      { line: 6, reason: 'identifiant « lea.dubois » déjà utilisé ligne 2' },
      { line: 7, reason: 'identifiant « pas valide! » invalide (lettres, chiffres, point, tiret)' },
    ]);
  });

  it('says what the header must be, and makes secrets a child can type', () => {
    expect(parsePupilCsv('name,surname\nA,B').problem).toContain('prenom;nom');
    expect(cardSecret(() => 0)).toBe('soleil-100');
  });
});

describe('POST /api/classes/{classId}/pupils/import', () => {
  let s: TestServer;
  let admin: string;
  beforeAll(async () => {
    s = await startTestServer();
    const school = (
      await s.ctx.db.selectFrom('classes').select('school_id').where('id', '=', DEMO_CLASS_ID).executeTakeFirstOrThrow()
    ).school_id;
    await s.ctx.db
      .insertInto('users')
      .values({
        id: 'admin-x',
        school_id: school,
        role: 'admin',
        username: 'admin.x',
        display_name: 'Admin',
        secret_hash: 'x',
        created_at: '2026-01-01',
      })
      .execute();
    admin = 'a'.repeat(43);
    await insertSession(s.ctx.db, {
      tokenHash: tokenHash(admin),
      userId: 'admin-x',
      createdAt: '2026-11-25T08:00:00.000Z',
      expiresAt: '2026-12-25T08:00:00.000Z',
    });
  });
  afterAll(async () => s.close());

  const post = (token: string, body: string) =>
    s.app.inject({
      method: 'POST',
      url: `/api/classes/${DEMO_CLASS_ID}/pupils/import`,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' },
      payload: body,
    });

  it('creates the valid lines’ accounts, who can sign in and read the class, and reports the others', async () => {
    const res = await post(admin, 'prenom;nom;identifiant\nNoé;Martin;\nLéa;Dubois;lea\n;Vide;\n');
    expect(res.statusCode).toBe(200);
    const body = res.json<{ created: { username: string; secret: string }[]; rejected: unknown[] }>();
    expect(body.created.map((c) => c.username)).toEqual(['noe.martin']);
    expect(body.rejected).toEqual([
      { line: 3, reason: 'identifiant « lea » déjà pris dans l’école' },
      { line: 4, reason: 'prénom ou nom manquant' },
    ]);
    const secret = body.created[0]?.secret ?? '';
    const signIn = await s.app.inject({
      method: 'POST',
      url: '/api/auth/sign-in',
      payload: { username: 'noe.martin', secret },
    });
    expect(signIn.statusCode).toBe(200);
    const me = await s.app.inject({ url: '/api/me', headers: { authorization: `Bearer ${signIn.json().token}` } });
    expect(me.json().classes.map((c: { id: string }) => c.id)).toEqual([DEMO_CLASS_ID]);
    // The secret is not stored, only its hash.
    const row = await s.ctx.db
      .selectFrom('users')
      .select('secret_hash')
      .where('username', '=', 'noe.martin')
      .executeTakeFirstOrThrow();
    expect(row.secret_hash).not.toContain(secret);
  });

  it('is for admins: the class’s teacher and pupils get 403 (others 404: see the matrix), no header 422', async () => {
    expect((await post(await s.signIn('mme.martin'), 'prenom;nom\nA;B')).statusCode).toBe(403);
    expect((await post(await s.signIn('lea'), 'prenom;nom\nA;B')).statusCode).toBe(403);
    const bad = await post(admin, 'nom\nB');
    expect(bad.statusCode).toBe(422);
    expect(bad.json()).toMatchObject({ error: 'invalid_csv' });
  });
});
