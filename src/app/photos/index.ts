/**
 * Photos picked or taken for homework leave the device sized for a capped mobile plan: a 12-megapixel camera photo
 * (4-8 MB) becomes a JPEG of at most 1600 px and about 400 KB, upright, without its metadata. PDFs and images the
 * browser cannot decode go as they are.
 */
import { PHOTO_SHRINK, type Shrunk, shrinkPhoto } from './shrink.ts';

/** Images the browser can decode and redraw; HEIC is tried too (Safari decodes it), and kept as is elsewhere. */
const SHRINKABLE = ['image/jpeg', 'image/png', 'image/webp', 'image/heic', 'image/heif'];

let worker: Worker | undefined | null;
let nextId = 0;
type Answer = Shrunk | { error: string } | { unchanged: true };
const waiting = new Map<number, (r: Answer) => void>();

function shrinkWorker(): Worker | null {
  if (worker !== undefined) return worker;
  try {
    worker =
      typeof Worker === 'function' && typeof OffscreenCanvas === 'function'
        ? new Worker(new URL('./shrink-worker.ts', import.meta.url), { type: 'module' })
        : null;
    worker?.addEventListener('message', (e: MessageEvent<{ id: number } & Answer>) => {
      const { id, ...result } = e.data;
      waiting.get(id)?.(result);
      waiting.delete(id);
    });
  } catch {
    worker = null;
  }
  return worker;
}

async function shrink(blob: Blob): Promise<Shrunk | undefined> {
  const w = shrinkWorker();
  if (w) {
    const id = nextId++;
    const result = await new Promise<Answer>((resolve) => {
      waiting.set(id, resolve);
      w.postMessage({ id, blob, options: PHOTO_SHRINK });
    });
    if ('error' in result) throw new Error(result.error);
    return 'unchanged' in result ? undefined : result;
  }
  // No worker with OffscreenCanvas here: the same code on the page.
  return shrinkPhoto(
    blob,
    PHOTO_SHRINK,
    (width, height) => Object.assign(document.createElement('canvas'), { width, height }),
    (canvas, quality) =>
      new Promise<Blob>((resolve, reject) =>
        (canvas as HTMLCanvasElement).toBlob(
          (b) => (b ? resolve(b) : reject(new Error('encode'))),
          'image/jpeg',
          quality,
        ),
      ),
  );
}

export interface PreparedFile {
  name: string;
  type: string;
  bytes: Uint8Array;
  /** The size picked, when the photo was made smaller. */
  originalSize?: number;
}

/** The file as it will be sent: a photo made smaller when that helps, anything else untouched. */
export async function prepareHomeworkFile(file: File): Promise<PreparedFile> {
  const original = async (): Promise<PreparedFile> => ({
    name: file.name,
    type: file.type || 'application/octet-stream',
    bytes: new Uint8Array(await file.arrayBuffer()),
  });
  if (!SHRINKABLE.includes(file.type)) return original();
  try {
    const shrunk = await shrink(file);
    // Already within bounds, or a redraw that does not help: keep what the pupil picked, byte for byte.
    if (!shrunk || shrunk.blob.size >= file.size) return original();
    const base = file.name.replace(/\.[^.]*$/, '') || 'photo';
    return {
      name: `${base}.jpg`,
      type: 'image/jpeg',
      bytes: new Uint8Array(await shrunk.blob.arrayBuffer()),
      originalSize: file.size,
    };
  } catch {
    return original();
  }
}
