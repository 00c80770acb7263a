/**
 * A class list as CSV, one pupil a line, read into accounts to create (docs/api.md, "Importer une classe"):
 *
 *   prenom;nom;identifiant        (or commas; "identifiant" is optional: made from the names when absent or empty)
 *   Léa;Dubois;lea.d
 *   Hugo;Petit;
 *
 * Every line is judged on its own: the valid ones are imported, each rejected one is reported with its line number
 * and the reason, in French, for the admin who prepared the file.
 */

export interface PupilLine {
  line: number;
  firstName: string;
  lastName: string;
  username: string;
}

export interface Rejected {
  line: number;
  reason: string;
}

const USERNAME = /^[a-z0-9][a-z0-9._-]{1,62}[a-z0-9]$/;
const MAX_NAME = 80;
/** NUL (which PostgreSQL refuses) and the other control characters: never part of a name printed on a card. */
// oxlint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;

/** "Léa-Marie" + "Dubois" → "lea-marie.dubois". */
export function usernameFrom(firstName: string, lastName: string): string {
  const slug = (s: string) =>
    s
      .normalize('NFD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/^-+|-+$/g, '');
  return `${slug(firstName)}.${slug(lastName)}`.slice(0, 60);
}

/** Splits one CSV line on `separator`, honouring double quotes ("Dupont; Jean" stays one field). */
function fields(line: string, separator: string): string[] | undefined {
  const out: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        current += '"';
        i++;
      } else if (c === '"') quoted = false;
      else current += c;
    } else if (c === '"') quoted = true;
    else if (c === separator) {
      out.push(current.trim());
      current = '';
    } else current += c;
  }
  if (quoted) return undefined;
  out.push(current.trim());
  return out;
}

export function parsePupilCsv(text: string): { pupils: PupilLine[]; rejected: Rejected[]; problem?: string } {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const header = lines[0] ?? '';
  const separator = header.includes(';') ? ';' : ',';
  const columns = (fields(header, separator) ?? []).map((h) =>
    h
      .normalize('NFD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase(),
  );
  const first = columns.indexOf('prenom');
  const last = columns.indexOf('nom');
  const user = columns.indexOf('identifiant');
  if (first < 0 || last < 0)
    return {
      pupils: [],
      rejected: [],
      problem: 'La première ligne doit nommer les colonnes : prenom;nom (et identifiant si besoin).',
    };
  const pupils: PupilLine[] = [];
  const rejected: Rejected[] = [];
  const seen = new Map<string, number>();
  for (let i = 1; i < lines.length; i++) {
    const raw = lines[i] ?? '';
    const line = i + 1;
    if (raw.trim() === '') continue;
    const f = fields(raw, separator);
    if (!f) {
      rejected.push({ line, reason: 'guillemet ouvert mais jamais fermé' });
      continue;
    }
    if (f.length > columns.length) {
      rejected.push({ line, reason: `${f.length} colonnes au lieu de ${columns.length}` });
      continue;
    }
    const firstName = f[first] ?? '';
    const lastName = f[last] ?? '';
    if (!firstName || !lastName) {
      rejected.push({ line, reason: 'prénom ou nom manquant' });
      continue;
    }
    if (CONTROL.test(firstName) || CONTROL.test(lastName)) {
      rejected.push({ line, reason: 'caractère invisible (de contrôle) dans le prénom ou le nom' });
      continue;
    }
    if (firstName.length > MAX_NAME || lastName.length > MAX_NAME) {
      rejected.push({ line, reason: `nom trop long (${MAX_NAME} caractères au plus)` });
      continue;
    }
    const username = ((user >= 0 ? f[user] : '') || usernameFrom(firstName, lastName)).toLowerCase();
    if (!USERNAME.test(username)) {
      rejected.push({ line, reason: `identifiant « ${username} » invalide (lettres, chiffres, point, tiret)` });
      continue;
    }
    const earlier = seen.get(username);
    if (earlier !== undefined) {
      rejected.push({ line, reason: `identifiant « ${username} » déjà utilisé ligne ${earlier}` });
      continue;
    }
    seen.set(username, line);
    pupils.push({ line, firstName, lastName, username });
  }
  return { pupils, rejected };
}

const WORDS = [
  'soleil',
  'nuage',
  'pluie',
  'vent',
  'etoile',
  'lune',
  'riviere',
  'foret',
  'montagne',
  'jardin',
  'plume',
  'sable',
];

/** A secret a child can type from a card: a word and three digits, from the CSPRNG (sign-in locks after 5 misses). */
export function cardSecret(random: (n: number) => number): string {
  return `${WORDS[random(WORDS.length)] ?? 'soleil'}-${String(100 + random(900))}`;
}
