/**
 * A photo sized for a school's bandwidth: decoded with its EXIF orientation applied, drawn at most `longSide` px on
 * its long side and re-encoded as JPEG, lowering the quality until it fits `maxBytes`. Re-encoding through a canvas
 * writes pixels only: the camera's metadata (GPS position, device, date) does not survive it. Runs in a worker
 * (OffscreenCanvas) or, where there is none, on the page; both use this code.
 */
export interface ShrinkOptions {
  longSide: number;
  maxBytes: number;
  /** Tried in turn until the photo fits. */
  qualities: readonly number[];
}

export const PHOTO_SHRINK: ShrinkOptions = { longSide: 1600, maxBytes: 400 * 1024, qualities: [0.72, 0.6, 0.5, 0.4] };

export interface Shrunk {
  blob: Blob;
  width: number;
  height: number;
}

/** The size to draw at: the long side brought down to `longSide`, the aspect kept, never enlarged. */
export function fitWithin(width: number, height: number, longSide: number): { width: number; height: number } {
  const scale = Math.min(1, longSide / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

type Canvas2d = { width: number; height: number; getContext(id: '2d'): unknown };

/**
 * Decodes and re-encodes `blob`; undefined when it is already within bounds (sent as it is, byte for byte); rejects
 * when the browser cannot decode it (HEIC outside Safari).
 */
export async function shrinkPhoto(
  blob: Blob,
  options: ShrinkOptions,
  makeCanvas: (w: number, h: number) => Canvas2d,
  encode: (canvas: Canvas2d, quality: number) => Promise<Blob>,
): Promise<Shrunk | undefined> {
  const bitmap = await createImageBitmap(blob, { imageOrientation: 'from-image' });
  try {
    if (Math.max(bitmap.width, bitmap.height) <= options.longSide && blob.size <= options.maxBytes) return undefined;
    const { width, height } = fitWithin(bitmap.width, bitmap.height, options.longSide);
    const canvas = makeCanvas(width, height);
    const ctx = canvas.getContext('2d') as CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D | null;
    if (!ctx) throw new Error('no 2d context');
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(bitmap, 0, 0, width, height);
    let out: Blob | undefined;
    for (const quality of options.qualities) {
      out = await encode(canvas, quality);
      if (out.size <= options.maxBytes) break;
    }
    if (!out) throw new Error('no quality to try');
    return { blob: out, width, height };
  } finally {
    bitmap.close();
  }
}
