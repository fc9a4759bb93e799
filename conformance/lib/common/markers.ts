/** Shared by the fixtures (which write them) and the reporter (which reads them). */
export const HANG_MARKER = 'hang.json';
/** Where a check is now (check, cycle, step): what a crash report names. */
export const PROGRESS_MARKER = 'progress.txt';
