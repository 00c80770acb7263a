/**
 * The pupil's first screen, by size: the JS and CSS the browser must fetch and run before anything is drawn — the
 * entry of index.html and everything it imports statically (Vite's build manifest), gzipped at level 9 as a
 * gzip-serving proxy would send them. Screens, the sync engine and the English catalogue are dynamic imports and
 * load after (still precached, so they work offline). `npm run size` fails when the JS is over its budget;
 * bench:offline reports the same figure.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';

/** The budget, in one place: 30 KB of JS gzipped (issue #19), for a low-end phone on a school's shared 4G. */
export const FIRST_SCREEN_JS_BUDGET = 30 * 1024;

interface ManifestChunk {
  file: string;
  isEntry?: boolean;
  imports?: string[];
  css?: string[];
}

export interface FirstScreen {
  js: number;
  css: number;
  files: { file: string; gzipBytes: number }[];
}

/** The entry's static closure in a built client (`dist/client` by default). */
export function firstScreen(dist = 'dist/client'): FirstScreen {
  const manifest = JSON.parse(readFileSync(join(dist, '.vite/manifest.json'), 'utf8')) as Record<string, ManifestChunk>;
  const entry = Object.keys(manifest).find((k) => manifest[k]?.isEntry && k.endsWith('index.html'));
  if (!entry) throw new Error(`no index.html entry in ${dist}/.vite/manifest.json`);
  const seen = new Set<string>();
  const files = new Set<string>();
  const visit = (key: string) => {
    if (seen.has(key)) return;
    seen.add(key);
    const chunk = manifest[key];
    if (!chunk) throw new Error(`manifest has no chunk ${key}`);
    files.add(chunk.file);
    for (const css of chunk.css ?? []) files.add(css);
    for (const imported of chunk.imports ?? []) visit(imported);
  };
  visit(entry);
  const sized = [...files].map((file) => ({
    file,
    gzipBytes: gzipSync(readFileSync(join(dist, file)), { level: 9 }).byteLength,
  }));
  const sum = (ext: string) => sized.filter((f) => f.file.endsWith(ext)).reduce((n, f) => n + f.gzipBytes, 0);
  return { js: sum('.js'), css: sum('.css'), files: sized };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const screen = firstScreen(process.argv[2]);
  for (const f of screen.files) console.log(`${String(f.gzipBytes).padStart(8)}  ${f.file}`);
  const over = screen.js > FIRST_SCREEN_JS_BUDGET;
  console.log(
    `first screen: ${screen.js} bytes of JS gzipped (budget ${FIRST_SCREEN_JS_BUDGET}), ${screen.css} of CSS` +
      (over ? `: OVER BUDGET by ${screen.js - FIRST_SCREEN_JS_BUDGET} bytes` : ''),
  );
  if (over) process.exit(1);
}
