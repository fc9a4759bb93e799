import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PAGES_2M = '/sys/kernel/mm/hugepages/hugepages-2048kB';

const LOCK = '/run/dpdk-hotplug-hugepages.lock';

/** Runs `fn` holding a lock directory (mkdir is atomic); a lock older than 10 s is stale. */
function withLock(fn: () => void): void {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch {
      try {
        if (Date.now() - statSync(LOCK).mtimeMs > 10_000) rmSync(LOCK, { recursive: true, force: true });
      } catch {}
      if (Date.now() > deadline) break; // better a racy write than a hung check
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    }
  }
  try {
    fn();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

/** A private hugetlbfs with `pages` 2 MB pages reserved; `undo` gives everything back. */
export interface HugepageLab {
  dir: string;
  undo(): void;
}

/**
 * Reserves 2 MB hugepages and mounts a private hugetlbfs, or says why it cannot (not root, no
 * hugepage support, not enough free memory). Every change is undone by `undo`, in reverse.
 * (Moves to @dpdk-hotplug/linux's hugepage helpers once that package has them.)
 */
export function hugepageLab(pages: number): HugepageLab | { unavailable: string } {
  if (process.getuid?.() !== 0) return { unavailable: 'reserving hugepages needs root' };
  if (!existsSync(PAGES_2M)) return { unavailable: 'this kernel has no 2 MB hugepages' };
  const undo: Array<() => void> = [];
  const run = () => {
    for (const step of undo.splice(0).reverse()) {
      try {
        step();
      } catch (e) {
        console.error(`hugepage clean-up step failed: ${(e as Error).message}`);
      }
    }
  };
  const nr = join(PAGES_2M, 'nr_hugepages');
  // Several workers reserve at once: each adds its pages and later takes away its own pages from
  // whatever the count is then (never "back to what it was", which would take another worker's),
  // and each read-modify-write holds a lock, so two never interleave.
  const adjust = (delta: number) =>
    withLock(() => writeFileSync(nr, String(Math.max(0, Number(readFileSync(nr, 'utf8')) + delta))));
  adjust(pages);
  undo.push(() => adjust(-pages));
  const free = Number(readFileSync(join(PAGES_2M, 'free_hugepages'), 'utf8'));
  if (free < pages) {
    run();
    return { unavailable: `only ${free} of ${pages} 2 MB hugepages could be reserved` };
  }
  const dir = mkdtempSync(join(tmpdir(), 'dphp-huge-'));
  undo.push(() => rmSync(dir, { recursive: true, force: true }));
  try {
    execFileSync('mount', ['-t', 'hugetlbfs', '-o', 'pagesize=2M', 'nodev', dir]);
  } catch (e) {
    run();
    return { unavailable: `hugetlbfs cannot be mounted here: ${(e as Error).message.split('\n')[0]}` };
  }
  undo.push(() => execFileSync('umount', [dir]));
  return { dir, undo: run };
}
