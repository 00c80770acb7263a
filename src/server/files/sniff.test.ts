import { describe, expect, it } from 'vitest';
import { encodePng, simplePdf, toneWav } from '../seed/media.ts';
import { bytesMatchType, sniff } from './sniff.ts';

const text = (s: string) => new TextEncoder().encode(s);

describe('sniff', () => {
  it('recognises the lesson file types from their first bytes', () => {
    expect(sniff(encodePng(1, 1, () => [0, 0, 0, 255]))).toBe('image/png');
    expect(sniff(simplePdf('x', ['y']))).toBe('application/pdf');
    expect(sniff(toneWav(440, 0.1))).toBe('audio/wav');
    expect(sniff(new Uint8Array([0xff, 0xd8, 0xff, 0xe0]))).toBe('image/jpeg');
    expect(sniff(text('ID3\u0004rest'))).toBe('audio/mpeg');
    expect(sniff(text('OggS\u0000'))).toBe('audio/ogg');
    expect(sniff(text('\u0000\u0000\u0000\u0018ftypmp42'))).toBe('video/mp4');
    expect(sniff(text('Le cycle de l’eau\n'))).toBe('text/plain');
  });

  it('never takes markup or binary junk for text', () => {
    expect(sniff(text('<!DOCTYPE html><script>alert(1)</script>'))).toBeUndefined();
    expect(sniff(text('  <svg onload="alert(1)">'))).toBeUndefined();
    expect(sniff(new Uint8Array([0x00, 0x01, 0x02]))).toBeUndefined();
    expect(sniff(new Uint8Array([0xc3, 0x28]))).toBeUndefined(); // not UTF-8
  });

  it('accepts a declared type only when the bytes agree, aliases included', () => {
    expect(bytesMatchType(toneWav(440, 0.1), 'audio/x-wav')).toBe(true);
    expect(bytesMatchType(text('<html>'), 'image/png')).toBe(false);
    expect(bytesMatchType(simplePdf('x', ['y']), 'image/png')).toBe(false);
    expect(bytesMatchType(text('\u0000\u0000\u0000\u0018ftypM4A '), 'audio/mp4')).toBe(true);
  });
});
