/** The platform's clock and randomness as the sync core's ports: the same in pages, workers and Node (benchmarks). */
import type { Clock, Random } from '../sync/ports.ts';

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** Uniform in [0, 1) from the platform's CSPRNG (devices must not share a seed). */
export const cryptoRandom: Random = {
  next: () => crypto.getRandomValues(new Uint32Array(1))[0]! / 2 ** 32,
};

/** What the browser says this site may still store, or undefined where it does not say. */
export async function storageFree(): Promise<number | undefined> {
  try {
    const e = await navigator.storage?.estimate?.();
    return e?.quota !== undefined && e.usage !== undefined ? e.quota - e.usage : undefined;
  } catch {
    return undefined;
  }
}
