/// <reference lib="webworker" />
/** The photo shrinker off the main thread: a picked 12-megapixel photo must not freeze the pupil's form. */
import { type ShrinkOptions, shrinkPhoto } from './shrink.ts';

declare const self: DedicatedWorkerGlobalScope;

async function answer(id: number, blob: Blob, options: ShrinkOptions): Promise<void> {
  try {
    const shrunk = await shrinkPhoto(
      blob,
      options,
      (w, h) => new OffscreenCanvas(w, h),
      (canvas, quality) => (canvas as OffscreenCanvas).convertToBlob({ type: 'image/jpeg', quality }),
    );
    self.postMessage(shrunk ? { id, ...shrunk } : { id, unchanged: true });
  } catch (err) {
    self.postMessage({ id, error: String(err) });
  }
}

self.addEventListener('message', (e: MessageEvent<{ id: number; blob: Blob; options: ShrinkOptions }>) => {
  void answer(e.data.id, e.data.blob, e.data.options);
});
