/** Shared by the fixtures (which write it) and the reporter (which reads it). */
export const HANG_MARKER = 'hang.json';
