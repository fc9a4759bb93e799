import {
  closeSync,
  lstatSync,
  openSync,
  readdirSync,
  readFileSync,
  type Stats,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { makeFolders, notRootFolder, UsageError } from '@dpdk-hotplug/args';
import { isKernelError, removeOwnTree } from '@dpdk-hotplug/linux';

/** The file that says "this folder is a report of ours": JSON `{tool, version, createdAt}`. */
export const REPORT_MARKER = '.dpdk-hotplug-report';
/** Held while a run writes into the folder: the run's pid, one line. */
export const REPORT_LOCK = '.dpdk-hotplug-report.lock';
export const REPORT_TOOL = 'dpdk-hotplug certify';

/**
 * Everything a certify run writes into its folder (Playwright's reporters, the certification
 * reporter, the plan). Reusing a folder deletes these and nothing else.
 */
export const REPORT_ENTRIES = [
  'html',
  'results',
  'junit.xml',
  'results.json',
  'summary.json',
  'summary.md',
  'summary.json.tmp',
  'summary.md.tmp',
  'plan.json',
  'blob',
  'certificate.html',
  'expectations.json',
  'expectations.md',
] as const;

export interface ReportFolder {
  readonly path: string;
  /** Whether it held an earlier report (whose entries were deleted). */
  readonly reused: boolean;
  /** Lets the folder go: removes the lock if it is still ours. Safe to call twice. */
  release(): void;
}

const lstat = (path: string): Stats | undefined => {
  try {
    return lstatSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
};

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function isOurReport(dir: string): boolean {
  try {
    const marker = JSON.parse(readFileSync(join(dir, REPORT_MARKER), 'utf8')) as { tool?: unknown };
    return marker.tool === REPORT_TOOL;
  } catch {
    return false;
  }
}

/** Takes the lock file; a lock whose pid is dead is stale and taken over; a live one refuses. */
function lock(dir: string): string {
  const file = join(dir, REPORT_LOCK);
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeFileSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return file;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw e;
    }
    const pid = Number(readFileSync(file, 'utf8').trim());
    const valid = Number.isInteger(pid) && pid > 0;
    // No pid yet: another run has just created the lock and is writing its pid.
    const young = !valid && Date.now() - lstatSync(file).mtimeMs < 10_000;
    if ((valid && pid !== process.pid && alive(pid)) || young)
      throw new UsageError(
        `--out ${dir} is in use by another run (${valid ? `pid ${pid}` : 'starting'}, see ${REPORT_LOCK}): wait for it, or give another folder`,
      );
    unlinkSync(file); // stale: its run is gone
  }
}

/**
 * Removes a file or a tree the run wrote, without following symbolic links (they are unlinked)
 * and never through a mount (removeOwnTree): a folder mounted inside is refused, untouched.
 */
function removeOwn(path: string, device: number): void {
  try {
    removeOwnTree(path, device);
  } catch (e) {
    if (!isKernelError(e, 'MOUNTED_INSIDE')) throw e;
    throw new UsageError(`--out: ${e.message}`);
  }
}

/**
 * Makes `dir` ready for a run's reports, refusing (UsageError, exit 2) anything that might be
 * someone else's: the root, a file, a symbolic link, a folder with other things in it that is
 * not an earlier report of ours (proven by REPORT_MARKER), or a report another live run holds.
 * An earlier report loses only what a run writes (REPORT_ENTRIES); other files stay.
 */
export function claimReportFolder(dir: string, version: string): ReportFolder {
  try {
    return claim(dir, version);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (e instanceof UsageError || !code?.startsWith('E')) throw e;
    // The folder cannot be made, read or written here: say so in one line.
    throw new UsageError(`--out ${dir}: cannot use it: ${(e as Error).message}`);
  }
}

function claim(dir: string, version: string): ReportFolder {
  notRootFolder('--out', dir);
  let st = lstat(dir);
  if (st && !st.isDirectory())
    throw new UsageError(
      `--out ${dir} is ${st.isSymbolicLink() ? 'a symbolic link' : 'not a folder'}: give a folder`,
    );
  if (!st) {
    makeFolders(dir);
    st = lstatSync(dir);
  }
  const entries = readdirSync(dir).filter((e) => e !== REPORT_LOCK);
  const reused = entries.length > 0;
  if (reused && !isOurReport(dir)) {
    const shown = entries.slice(0, 5).join(', ') + (entries.length > 5 ? ', …' : '');
    const looksOld = entries.every((e) => (REPORT_ENTRIES as readonly string[]).includes(e));
    throw new UsageError(
      `--out ${dir} is not empty (${shown}) and holds no earlier report (no ${REPORT_MARKER}): ` +
        'give a new or empty folder, so that nothing of yours is deleted' +
        (looksOld ? ' (a report of a version before the marker: delete it yourself once)' : ''),
    );
  }
  const lockFile = lock(dir);
  let held = true;
  const release = () => {
    if (!held) return;
    held = false;
    try {
      if (readFileSync(lockFile, 'utf8').trim() === String(process.pid)) unlinkSync(lockFile);
    } catch {}
  };
  try {
    if (reused) for (const e of REPORT_ENTRIES) removeOwn(join(dir, e), st.dev);
    writeFileSync(
      join(dir, REPORT_MARKER),
      `${JSON.stringify({ tool: REPORT_TOOL, version, createdAt: new Date().toISOString() })}\n`,
    );
  } catch (e) {
    release();
    throw e;
  }
  return { path: dir, reused, release };
}
