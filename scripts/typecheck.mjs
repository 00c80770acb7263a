// Type-checks each runtime against its own library, so the boundaries hold: the sync core and the protocol see only
// ES (no DOM, no Node), storage and the service worker see WebWorker, the app sees DOM, the server sees Node.
import { spawnSync } from 'node:child_process';

const configs = ['core', 'storage', 'sw', 'app', 'server', 'test'];
let failed = 0;
for (const name of configs) {
  const run = spawnSync('npx', ['tsc', '-p', `tsconfig.${name}.json`], { stdio: 'inherit' });
  if (run.status !== 0) {
    failed++;
    console.error(`typecheck: tsconfig.${name}.json failed`);
  }
}
if (failed) process.exit(1);
console.log(`typecheck: ${configs.length} runtimes clean`);
