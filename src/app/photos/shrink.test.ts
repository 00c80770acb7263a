import { describe, expect, it } from 'vitest';
import { fitWithin, PHOTO_SHRINK } from './shrink.ts';

describe('fitWithin', () => {
  it('brings the long side down to the limit, keeps the aspect, never enlarges', () => {
    expect(fitWithin(4000, 3000, PHOTO_SHRINK.longSide)).toEqual({ width: 1600, height: 1200 });
    expect(fitWithin(3000, 4000, 1600)).toEqual({ width: 1200, height: 1600 });
    expect(fitWithin(4032, 3024, 1600)).toEqual({ width: 1600, height: 1200 });
    expect(fitWithin(800, 600, 1600)).toEqual({ width: 800, height: 600 });
    expect(fitWithin(10_000, 3, 1600)).toEqual({ width: 1600, height: 1 });
  });
});
