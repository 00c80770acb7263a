// The server test suite's second pass, against a real PostgreSQL: each test gets a schema of its own in the
// database at TEST_DATABASE_URL. Without that variable it says so and skips (a new machine has no PostgreSQL).
import { spawnSync } from 'node:child_process';

const url = process.env.TEST_DATABASE_URL;
if (!process.env.TEST_REDIS_URL) {
  console.log('Redis tests SKIPPED: set TEST_REDIS_URL=redis://127.0.0.1:6379 to run the shared rate-limit tests.');
}
if (!url) {
  console.log(
    'PostgreSQL pass SKIPPED: set TEST_DATABASE_URL=postgres://user@host:5432/database to run the server tests against PostgreSQL.',
  );
  process.exit(0);
}
console.log(`PostgreSQL pass: the server test suite against ${url.replace(/\/\/[^@]*@/, '//…@')}`);
const run = spawnSync('npx', ['vitest', 'run', 'src/server'], {
  stdio: 'inherit',
  env: { ...process.env, TEST_BACKEND: 'postgres' },
});
process.exit(run.status ?? 1);
