/** Performance marks the app sets, read by the benchmarks. */

/** Set when a lesson's text is on screen (bench/offline measures navigation start to this mark). */
export const LESSON_VISIBLE_MARK = 'cartable:lesson-visible';
