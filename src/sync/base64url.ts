/** Base64url without padding (RFC 4648 §5), in plain ES: the sync core has neither Buffer nor btoa. */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const at = (sextet: number) => ALPHABET.charAt(sextet & 63);

export function toBase64Url(bytes: Uint8Array): string {
  const out: string[] = [];
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = ((bytes[i] ?? 0) << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    out.push(at(n >> 18) + at(n >> 12) + at(n >> 6) + at(n));
  }
  const rest = bytes.length - i;
  const n = ((bytes[i] ?? 0) << 16) | ((rest === 2 ? (bytes[i + 1] ?? 0) : 0) << 8);
  if (rest === 1) out.push(at(n >> 18) + at(n >> 12));
  if (rest === 2) out.push(at(n >> 18) + at(n >> 12) + at(n >> 6));
  return out.join('');
}
