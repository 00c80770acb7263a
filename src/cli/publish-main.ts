/** Entry point of `npm run publish -- <dossier>` (see publish.ts). */
import { CliError, main } from './publish.ts';

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof CliError ? err.message : err);
    process.exit(1);
  },
);
