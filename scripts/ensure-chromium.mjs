// Makes sure a Chromium is there for Playwright (which cannot download its own browsers on this network).
// Uses CHROMIUM_PATH, else Debian's /usr/bin/chromium; installs it with apt when missing and running as root;
// otherwise stops with a message saying what to install.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const path = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (existsSync(path)) process.exit(0);

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const hasApt = existsSync('/usr/bin/apt-get');
if (process.env.CHROMIUM_PATH || !isRoot || !hasApt) {
  console.error(
    [
      `Chromium was not found at ${path}.`,
      'The browser tests need it. On Debian or Ubuntu:  sudo apt-get install -y chromium',
      'Elsewhere, point CHROMIUM_PATH at a Chromium or Chrome binary, e.g. CHROMIUM_PATH=/usr/bin/google-chrome npm test',
    ].join('\n'),
  );
  process.exit(1);
}

console.log('Chromium is missing: installing Debian’s packages (apt-get install chromium fonts-dejavu-core)…');
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
// Debian's chromium depends on no font: without one, pages render as empty boxes.
execFileSync('apt-get', ['install', '-y', '-qq', 'chromium', 'fonts-dejavu-core'], { stdio: 'inherit', env });
if (!existsSync(path)) {
  console.error(`apt-get finished but ${path} is still missing.`);
  process.exit(1);
}
console.log(`Chromium installed at ${path}.`);
