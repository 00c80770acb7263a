/**
 * The demo school, in French: a teacher, a class, three pupils, and the current week with three lessons (one with
 * an image, one with a PDF, one with audio) and two assignments. Idempotent: a second start reuses what is there,
 * and publishes the demo week again only when the current week has none (so the demo stays alive week after week).
 */
import { isoWeekAt, mondayOfIsoWeek } from '../../protocol/iso-week.ts';
import { hashSecret } from '../auth/secrets.ts';
import { findSchoolByName, latestReleasedWeek } from '../db/queries.ts';
import type { Db } from '../db/schema.ts';
import type { FileStorage } from '../files/file-storage.ts';
import { publishWeek } from '../publish.ts';
import { simplePdf, toneWav, waterCyclePng } from './media.ts';

export const DEMO_SCHOOL = 'École élémentaire Jules-Ferry';
export const DEMO_CLASS_ID = 'cm2-b';
export const DEMO_TIME_ZONE = 'Europe/Paris';

/** The demo accounts, printed at start so a visitor can sign in. */
export const DEMO_ACCOUNTS = [
  { username: 'mme.martin', secret: 'tableau-noir', displayName: 'Mme Martin', role: 'teacher' as const },
  { username: 'lea', secret: 'soleil-12', displayName: 'Léa Dubois', role: 'pupil' as const },
  { username: 'hugo', secret: 'nuage-34', displayName: 'Hugo Petit', role: 'pupil' as const },
  { username: 'ines', secret: 'pluie-56', displayName: 'Inès Haddad', role: 'pupil' as const },
  { username: 'mme.roux', secret: 'craie-blanche', displayName: 'Mme Roux (direction)', role: 'admin' as const },
];

/** Fixed ids, so that several instances starting at once seed the same rows instead of racing to make two schools. */
const DEMO_SCHOOL_ID = 'demo-jules-ferry';
const demoUserId = (username: string) => `demo-${username.replace(/[^a-z0-9]+/g, '-')}`;

/** Creates whatever of the demo school is missing and makes sure the current week is published. */
export async function ensureDemo(db: Db, storage: FileStorage, now: Date): Promise<{ created: boolean; week: string }> {
  const nowIso = now.toISOString();
  const created = !(await findSchoolByName(db, DEMO_SCHOOL));
  // Accounts added to the demo since a database was seeded are created too (the admin came with shared devices).
  const existing = new Set(
    (
      await db
        .selectFrom('users')
        .select('username')
        .where(
          'username',
          'in',
          DEMO_ACCOUNTS.map((a) => a.username),
        )
        .execute()
    ).map((r) => r.username),
  );
  const missing = DEMO_ACCOUNTS.filter((a) => !existing.has(a.username));
  if (created || missing.length > 0) {
    // Hash outside the transaction (scrypt is slow on purpose); every insert ignores a row that already exists.
    const hashes = await Promise.all(missing.map((a) => hashSecret(a.secret)));
    await db.transaction().execute(async (tx) => {
      await tx
        .insertInto('schools')
        .values({ id: DEMO_SCHOOL_ID, name: DEMO_SCHOOL, time_zone: DEMO_TIME_ZONE, created_at: nowIso })
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
      for (const [i, account] of missing.entries()) {
        await tx
          .insertInto('users')
          .values({
            id: demoUserId(account.username),
            school_id: DEMO_SCHOOL_ID,
            role: account.role,
            username: account.username,
            display_name: account.displayName,
            secret_hash: hashes[i] ?? '',
            created_at: nowIso,
          })
          .onConflict((oc) => oc.doNothing())
          .execute();
      }
      await tx
        .insertInto('classes')
        .values({
          id: DEMO_CLASS_ID,
          school_id: DEMO_SCHOOL_ID,
          name: 'CM2 B',
          teacher_id: demoUserId('mme.martin'),
          created_at: nowIso,
        })
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
      for (const account of DEMO_ACCOUNTS.filter((a) => a.role === 'pupil')) {
        await tx
          .insertInto('class_pupils')
          .values({ class_id: DEMO_CLASS_ID, pupil_id: demoUserId(account.username) })
          .onConflict((oc) => oc.doNothing())
          .execute();
      }
    });
  }
  const week = isoWeekAt(now.getTime(), DEMO_TIME_ZONE);
  if (!(await latestReleasedWeek(db, DEMO_CLASS_ID, week, nowIso))) {
    try {
      await publishWeek(db, storage, demoWeek(week), now);
    } catch (err) {
      // Another instance published it at the same moment (same version number): that is the week we wanted.
      if (!(await latestReleasedWeek(db, DEMO_CLASS_ID, week, nowIso))) throw err;
    }
  }
  return { created, week };
}

function demoWeek(week: string) {
  const monday = mondayOfIsoWeek(week);
  const friday = new Date(`${monday}T15:30:00Z`);
  friday.setUTCDate(friday.getUTCDate() + 4);
  const thursday = new Date(`${monday}T15:30:00Z`);
  thursday.setUTCDate(thursday.getUTCDate() + 3);
  return {
    classId: DEMO_CLASS_ID,
    className: 'CM2 B',
    week,
    lessons: [
      {
        id: 'cycle-de-l-eau',
        title: 'Sciences : le cycle de l’eau',
        order: 1,
        body: [
          '# Le cycle de l’eau',
          '',
          'L’eau de la mer **s’évapore** sous l’effet du soleil. La vapeur monte, se refroidit et forme des **nuages**.',
          'Quand les gouttes deviennent trop lourdes, elles tombent : ce sont les **précipitations** (pluie, neige, grêle).',
          '',
          '![Schéma du cycle de l’eau](cycle-de-l-eau.png)',
          '',
          '## À retenir',
          '',
          '1. évaporation',
          '2. condensation',
          '3. précipitations',
          '4. ruissellement vers la mer',
        ].join('\n'),
        attachments: [{ name: 'cycle-de-l-eau.png', type: 'image/png', bytes: waterCyclePng() }],
      },
      {
        id: 'fractions',
        title: 'Mathématiques : les fractions',
        order: 2,
        body: [
          '# Les fractions',
          '',
          'Une fraction partage une unité en parts égales. Dans **3/4**, le dénominateur 4 dit en combien de parts on',
          'partage, le numérateur 3 combien de parts on prend.',
          '',
          'La fiche d’exercices est jointe en PDF : imprime-la ou recopie les exercices dans ton cahier.',
        ].join('\n'),
        attachments: [
          {
            name: 'fiche-fractions.pdf',
            type: 'application/pdf',
            bytes: simplePdf('Fiche d’exercices : les fractions', [
              '1. Colorie les 3/4 d’un rectangle.',
              '2. Range du plus petit au plus grand : 1/2, 1/4, 3/4.',
              '3. Léa mange 2/8 d’une tarte. Quelle fraction reste-t-il ?',
            ]),
          },
        ],
      },
      {
        id: 'le-la-du-diapason',
        title: 'Éducation musicale : le la du diapason',
        order: 3,
        body: [
          '# Le la du diapason',
          '',
          'Les musiciens s’accordent sur une même note : le **la**, qui vibre 440 fois par seconde (440 Hz).',
          'Écoute l’enregistrement joint, puis essaie de chanter la même note.',
        ].join('\n'),
        attachments: [{ name: 'la-440.wav', type: 'audio/wav', bytes: toneWav(440, 2) }],
      },
    ],
    assignments: [
      {
        id: 'exercices-fractions',
        title: 'Exercices sur les fractions',
        instructions: 'Fais les exercices 1 à 3 de la fiche et envoie une photo de ton cahier.',
        dueAt: thursday.toISOString(),
      },
      {
        id: 'redaction-cycle-eau',
        title: 'Rédaction : raconte le voyage d’une goutte d’eau',
        instructions: 'En dix lignes, raconte le voyage d’une goutte d’eau, de la mer jusqu’au nuage et retour.',
        dueAt: friday.toISOString(),
      },
    ],
  };
}
