/**
 * A week prepared as a folder of files, read into what the publisher sends (docs/bundles.md, "Publier depuis un
 * dossier"):
 *
 *   ma-semaine/
 *     semaine.md          optional front matter: classe, semaine (2026-W49), publication (release time)
 *     1-cycle-eau.md      a lesson: front matter titre, ordre; Markdown body; files it links to are attached
 *     devoir-schema.md    an assignment: front matter type: devoir, titre, pour (due, e.g. 2026-12-04 16:00)
 *     cycle.png, fiche.pdf, …
 *
 * Everything wrong is collected and reported together, before a single byte is uploaded.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';

export const EXTENSION_TYPES: Record<string, string> = {
  '.pdf': 'application/pdf',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
  '.wav': 'audio/wav',
  '.mp3': 'audio/mpeg',
  '.ogg': 'audio/ogg',
  '.m4a': 'audio/mp4',
  '.mp4': 'video/mp4',
  '.txt': 'text/plain',
};

export interface LocalFile {
  name: string;
  path: string;
  type: string;
  size: number;
  sha256: string;
}

export interface FolderWeek {
  classId: string | undefined;
  week: string | undefined;
  releaseAt: string | undefined;
  lessons: { id: string; title: string; order: number; body: string; attachments: LocalFile[] }[];
  assignments: { id: string; title: string; instructions: string; due: string }[];
  /** Every attached file once. */
  files: LocalFile[];
  problems: string[];
}

/** `---\nkey: value\n---\nbody`: a small subset of YAML front matter, enough for titles, numbers and dates. */
export function parseFrontMatter(text: string): { meta: Record<string, string>; body: string } {
  const normal = text.replace(/^\uFEFF/, '').replace(/\r\n/g, '\n');
  const m = /^---\n([\s\S]*?)\n---\n?/.exec(normal);
  if (!m) return { meta: {}, body: normal };
  const meta: Record<string, string> = {};
  for (const line of (m[1] ?? '').split('\n')) {
    const kv = /^([A-Za-zÀ-ÿ_-]+)\s*:\s*(.*)$/.exec(line.trim());
    if (kv?.[1]) meta[kv[1].toLowerCase()] = (kv[2] ?? '').replace(/^["']|["']$/g, '').trim();
  }
  return { meta, body: normal.slice(m[0].length) };
}

/** An id the API accepts, from a file name: "1-Cycle de l'eau.md" → "1-cycle-de-l-eau". */
export function idFromName(name: string): string {
  return (
    basename(name, extname(name))
      .normalize('NFD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/[^a-z0-9_-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 64) || 'lecon'
  );
}

/** Link targets in Markdown that name a file of the folder: ![…](cycle.png), […](fiche.pdf), <…> forms too. */
export function linkedNames(markdown: string): string[] {
  const names = new Set<string>();
  for (const m of markdown.matchAll(/\]\(\s*<?([^)>\s]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
    const target = m[1] ?? '';
    if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('#') || target.includes('/')) continue;
    names.add(decodeURIComponent(target));
  }
  return [...names];
}

export function readFolderWeek(folder: string, maxFileBytes: number): FolderWeek {
  const problems: string[] = [];
  const entries = readdirSync(folder).sort((a, b) => a.localeCompare(b, 'fr'));
  const present = new Set(entries.filter((e) => statSync(join(folder, e)).isFile()));
  const files = new Map<string, LocalFile>();
  const attach = (owner: string, name: string): LocalFile | undefined => {
    if (!present.has(name)) {
      problems.push(`${owner} : « ${name} » est cité mais absent du dossier.`);
      return undefined;
    }
    const known = files.get(name);
    if (known) return known;
    const type = EXTENSION_TYPES[extname(name).toLowerCase()];
    const path = join(folder, name);
    const size = statSync(path).size;
    if (!type) {
      problems.push(`${name} : type de fichier refusé (acceptés : ${Object.keys(EXTENSION_TYPES).join(' ')}).`);
      return undefined;
    }
    if (size > maxFileBytes) {
      problems.push(`${name} : ${(size / 1024 / 1024).toFixed(1)} Mo, au-delà de ${maxFileBytes / 1024 / 1024} Mo.`);
      return undefined;
    }
    const sha256 = createHash('sha256').update(readFileSync(path)).digest('hex');
    const file = { name, path, type, size, sha256 };
    files.set(name, file);
    return file;
  };

  let classId: string | undefined;
  let week: string | undefined;
  let releaseAt: string | undefined;
  const lessons: FolderWeek['lessons'] = [];
  const assignments: FolderWeek['assignments'] = [];
  for (const entry of entries.filter((e) => e.toLowerCase().endsWith('.md'))) {
    const { meta, body } = parseFrontMatter(readFileSync(join(folder, entry), 'utf8'));
    if (entry.toLowerCase() === 'semaine.md') {
      classId = meta.classe || undefined;
      week = meta.semaine || undefined;
      releaseAt = meta.publication || undefined;
      continue;
    }
    const id = meta.id || idFromName(entry);
    const title = meta.titre || meta.title || /^#\s+(.+)$/m.exec(body)?.[1]?.trim() || basename(entry, '.md');
    if ((meta.type ?? '').toLowerCase() === 'devoir') {
      const due = meta.pour || meta.due;
      if (!due) problems.push(`${entry} : un devoir a besoin d’une date « pour: 2026-12-04 16:00 ».`);
      else assignments.push({ id, title, instructions: body.trim(), due });
      continue;
    }
    const leading = /^(\d+)/.exec(entry)?.[1];
    const order = Number(meta.ordre ?? meta.order ?? leading ?? lessons.length + 1);
    if (!Number.isInteger(order)) problems.push(`${entry} : « ordre » doit être un nombre entier.`);
    const extra = (meta['pièces-jointes'] ?? meta.attachments ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const attachments = [...new Set([...linkedNames(body), ...extra])].flatMap((n) => attach(entry, n) ?? []);
    lessons.push({ id, title, order: Number.isInteger(order) ? order : 0, body, attachments });
  }
  if (lessons.length === 0 && assignments.length === 0) problems.push('Aucune leçon (.md) dans ce dossier.');
  return { classId, week, releaseAt, lessons, assignments, files: [...files.values()], problems };
}
