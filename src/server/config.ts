/** Settings from the environment, with the defaults a fresh clone needs. */
import { resolve } from 'node:path';

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  clientDir: string;
  seedDemo: boolean;
}

/** Reads PORT, HOST, DATA_DIR, CLIENT_DIR and SEED_DEMO; throws a readable error on a bad value. */
export function readConfig(env: NodeJS.ProcessEnv, cwd = process.cwd()): Config {
  const port = Number(env.PORT ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`PORT must be a port number, not "${env.PORT}"`);
  return {
    port,
    host: env.HOST ?? 'localhost',
    dataDir: resolve(cwd, env.DATA_DIR ?? 'data'),
    clientDir: resolve(cwd, env.CLIENT_DIR ?? 'dist/client'),
    seedDemo: (env.SEED_DEMO ?? '1') !== '0',
  };
}
