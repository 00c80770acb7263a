/** Messages between the page and the service worker: one discriminated union each way. */

/** The page asks the waiting worker to take over (the pupil accepted the update). */
export type PageToWorker = { type: 'SKIP_WAITING' };

export const SKIP_WAITING: PageToWorker = { type: 'SKIP_WAITING' };
