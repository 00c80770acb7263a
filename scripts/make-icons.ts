// Draws the app icons (a satchel, "cartable" in French) with the project's own PNG encoder: `npx tsx scripts/make-icons.ts`.
import { writeFileSync } from 'node:fs';
import { encodePng } from '../src/server/seed/media.ts';

type Rgba = [number, number, number, number];
const BLUE: Rgba = [29, 78, 216, 255];
const LEATHER: Rgba = [180, 83, 9, 255];
const FLAP: Rgba = [146, 64, 14, 255];
const BUCKLE: Rgba = [250, 204, 21, 255];

/** A satchel centred in a square of `size`, drawn within `inset` (0..0.5) of each edge. */
function satchel(size: number, inset: number, background: Rgba, transparentOutside: boolean) {
  return encodePng(size, size, (px, py) => {
    const x = px / size;
    const y = py / size;
    const u = (x - inset) / (1 - 2 * inset);
    const v = (y - inset) / (1 - 2 * inset);
    const roundedBox = (x0: number, y0: number, x1: number, y1: number, r: number) => {
      const cx = Math.min(Math.max(u, x0 + r), x1 - r);
      const cy = Math.min(Math.max(v, y0 + r), y1 - r);
      return (u - cx) ** 2 + (v - cy) ** 2 <= r * r;
    };
    const handle = roundedBox(0.35, 0.08, 0.65, 0.3, 0.08) && !roundedBox(0.41, 0.14, 0.59, 0.3, 0.03);
    if (roundedBox(0.44, 0.5, 0.56, 0.62, 0.02)) return BUCKLE;
    if (roundedBox(0.1, 0.22, 0.9, 0.56, 0.08)) return FLAP;
    if (roundedBox(0.1, 0.22, 0.9, 0.9, 0.1)) return LEATHER;
    if (handle) return FLAP;
    if (transparentOutside && (x - 0.5) ** 2 + (y - 0.5) ** 2 > 0.25) return [0, 0, 0, 0];
    return background;
  });
}

writeFileSync('public/icons/icon-192.png', satchel(192, 0.12, BLUE, true));
writeFileSync('public/icons/icon-512.png', satchel(512, 0.12, BLUE, true));
// Maskable: full-bleed background, the drawing inside the central safe zone (80 % circle).
writeFileSync('public/icons/maskable-512.png', satchel(512, 0.22, BLUE, false));
console.log('icons written to public/icons/');
