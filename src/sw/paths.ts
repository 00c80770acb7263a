/** URL patterns the service worker routes. */
export const IMMUTABLE_FILE_PATH = /^\/api\/files\/([0-9a-f]{64})$/;
