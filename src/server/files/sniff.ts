/**
 * What a file's first bytes say it is. A declared media type is accepted only when the bytes agree, so a script
 * renamed photo.png, or an HTML page sent as a PDF, is refused instead of being served to pupils.
 */
import { canonicalType } from '../../protocol/lesson-files.ts';

const ascii = (bytes: Uint8Array, at: number, text: string) => {
  if (bytes.byteLength < at + text.length) return false;
  for (let i = 0; i < text.length; i++) if (bytes[at + i] !== text.charCodeAt(i)) return false;
  return true;
};
const starts = (bytes: Uint8Array, sig: number[]) => sig.every((b, i) => bytes[i] === b);

/** The bytes' own type among the lesson and homework types, or undefined when none fits. */
export function sniff(bytes: Uint8Array): string | undefined {
  if (ascii(bytes, 0, '%PDF-')) return 'application/pdf';
  if (starts(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (starts(bytes, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (ascii(bytes, 0, 'RIFF') && ascii(bytes, 8, 'WEBP')) return 'image/webp';
  if (ascii(bytes, 0, 'RIFF') && ascii(bytes, 8, 'WAVE')) return 'audio/wav';
  if (ascii(bytes, 0, 'GIF87a') || ascii(bytes, 0, 'GIF89a')) return 'image/gif';
  if (ascii(bytes, 0, 'OggS')) return 'audio/ogg';
  if (ascii(bytes, 4, 'ftyp')) {
    const brand = String.fromCharCode(...bytes.subarray(8, 12));
    if (['heic', 'heix', 'mif1', 'msf1'].includes(brand)) return 'image/heic';
    return brand.startsWith('M4A') ? 'audio/mp4' : 'video/mp4';
  }
  if (ascii(bytes, 0, 'ID3') || (bytes.byteLength > 1 && bytes[0] === 0xff && ((bytes[1] ?? 0) & 0xe0) === 0xe0))
    return 'audio/mpeg';
  if (isPlainText(bytes)) return 'text/plain';
  return undefined;
}

/** UTF-8 text without control characters other than tab and line breaks, and not markup. */
function isPlainText(bytes: Uint8Array): boolean {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return false;
  }
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0c && c !== 0x0d) return false;
  }
  return !/^\s*<(?:!doctype|html|svg|script|\?xml)/i.test(text);
}

/** True when the bytes are what the declared type says. */
export function bytesMatchType(bytes: Uint8Array, declared: string): boolean {
  const want = canonicalType(declared);
  const got = sniff(bytes);
  // An MP4 container holds sound or video: either declared name is right.
  if (got === 'video/mp4' || got === 'audio/mp4') return want === 'video/mp4' || want === 'audio/mp4';
  return got === want;
}
