/**
 * Serves /api/files/{sha256} from the device's IndexedDB, where week installs put them; falls back to the network
 * for a file the device does not hold yet. Answers Range requests (audio and video seek) from the stored bytes.
 */
import { createPartialResponse } from 'workbox-range-requests';
import type { RouteHandlerCallback } from 'workbox-core';
import { IMMUTABLE_FILE_PATH } from './paths.ts';
import type { IdbFileStore } from '../storage/idb-stores.ts';

export function fileHandler(files: () => Promise<IdbFileStore>): RouteHandlerCallback {
  return async ({ request, url }) => {
    const sha256 = IMMUTABLE_FILE_PATH.exec(url.pathname)?.[1];
    const stored = sha256 ? await (await files()).get(sha256).catch(() => undefined) : undefined;
    if (!stored) return fetch(request);
    const response = new Response(new Blob([stored.bytes.slice().buffer], { type: stored.type }), {
      status: 200,
      headers: {
        'content-type': stored.type,
        'content-length': String(stored.bytes.byteLength),
        'x-served-by': 'cartable-device',
      },
    });
    return request.headers.has('range') ? createPartialResponse(request, response) : response;
  };
}
