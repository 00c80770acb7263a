// Bundles the server (src/server/main.ts and what it imports) into dist/server/main.js for `npm start`.
// Dependencies stay in node_modules (packages: 'external'); Node 20 cannot run .ts files itself.
import { build } from 'esbuild';

await build({
  entryPoints: { main: 'src/server/main.ts' },
  outdir: 'dist/server',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
});
console.log('server built: dist/server/main.js');
