import { describe, expect, it } from 'vitest';
import { canonicalDateTime, isStorableText } from './storable.ts';

describe('canonicalDateTime', () => {
  it('keeps the canonical form and turns every accepted form into it', () => {
    expect(canonicalDateTime('2026-11-25T09:00:00.000Z')).toBe('2026-11-25T09:00:00.000Z');
    expect(canonicalDateTime('2026-11-25T10:00:00+01:00')).toBe('2026-11-25T09:00:00.000Z');
    expect(canonicalDateTime('2026-11-25T09:00:00.123456789-02:30')).toBe('2026-11-25T11:30:00.123Z');
    expect(canonicalDateTime('2026-02-28T23:30:00-01:00')).toBe('2026-03-01T00:30:00.000Z');
  });

  it('refuses what Date.parse would misread or the database could not store', () => {
    for (const bad of [
      '2026-11-25T09:00:00+01',
      '2026-12-31T23:59:60Z',
      '2026-02-30T09:00:00Z',
      '2026-02-30T09:00:00.000Z',
      '2026-11-25T09:00:00.1234567890Z',
      '2026-11-25 09:00:00Z',
      '2026-11-25T24:00:00Z',
      '+002026-11-25T09:00:00.000Z',
      '',
    ])
      expect([bad, canonicalDateTime(bad)]).toEqual([bad, undefined]);
  });
});

describe('isStorableText', () => {
  it('refuses the NUL character only', () => {
    expect(isStorableText('é\u0001\ud800')).toBe(true);
    expect(isStorableText('a\u0000b')).toBe(false);
  });
});
