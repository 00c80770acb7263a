import { describe, expect, it } from 'vitest';
import { SeededRandom } from './fakes.ts';
import { toBase64Url } from './base64url.ts';

describe('toBase64Url', () => {
  it('matches Node’s base64url for every length and byte value', () => {
    const random = new SeededRandom(3);
    for (let length = 0; length < 70; length++) {
      const bytes = Uint8Array.from({ length }, () => Math.floor(random.next() * 256));
      expect(toBase64Url(bytes), `length ${length}`).toBe(Buffer.from(bytes).toString('base64url'));
    }
    expect(toBase64Url(Uint8Array.from({ length: 256 }, (_, i) => i))).toBe(
      Buffer.from(Uint8Array.from({ length: 256 }, (_, i) => i)).toString('base64url'),
    );
  });
});
