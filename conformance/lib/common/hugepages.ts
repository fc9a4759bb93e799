import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createHost,
  isKernelError,
  mountHugetlbfs,
  reserveHugepages,
  unmountHugetlbfs,
} from '@dpdk-hotplug/linux';
import { record } from './ledger.js';

/** A private hugetlbfs with pages reserved for it; `undo` gives everything back. */
export interface HugepageLab {
  dir: string;
  undo(): Promise<void>;
}

/**
 * Adds `pages` 2 MB hugepages to what is reserved and mounts a private hugetlbfs, through the
 * kernel helpers (which let concurrent workers reserve and release without taking each other's
 * pages), or says why it cannot (not root, no hugepage support, not enough free memory).
 */
export async function hugepageLab(pages: number): Promise<HugepageLab | { unavailable: string }> {
  if (process.getuid?.() !== 0) return { unavailable: 'reserving hugepages needs root' };
  if (!existsSync('/sys/kernel/mm/hugepages/hugepages-2048kB'))
    return { unavailable: 'this kernel has no 2 MB hugepages' };
  const host = createHost();
  const unavailable = (e: unknown) => ({ unavailable: isKernelError(e) ? e.message : String(e) });
  let reservation: Awaited<ReturnType<typeof reserveHugepages>>;
  try {
    reservation = await reserveHugepages(host, pages * 2 * 1024 * 1024, { pageSizeKb: 2048, add: true });
  } catch (e) {
    return unavailable(e);
  }
  // In the run's ledger until given back: a worker killed meanwhile leaves them to the run's end.
  const pagesForget = record({
    kind: 'hugepages',
    pages: reservation.after - reservation.before,
    pageSizeKb: 2048,
  });
  const dir = mkdtempSync(join(tmpdir(), 'dphp-huge-'));
  const dirForget = record({ kind: 'dir', path: dir });
  const undo = [
    () => reservation.release().then(pagesForget),
    async () => {
      rmSync(dir, { recursive: true, force: true });
      dirForget();
    },
  ];
  const run = async () => {
    for (const step of undo.splice(0).reverse()) {
      await step().catch((e: Error) => console.error(`hugepage clean-up step failed: ${e.message}`));
    }
  };
  try {
    await mountHugetlbfs(host, dir, { pageSizeKb: 2048 });
  } catch (e) {
    await run();
    return unavailable(e);
  }
  const mountForget = record({ kind: 'mount', path: dir });
  undo.push(() => unmountHugetlbfs(host, dir).then(mountForget));
  return { dir, undo: run };
}
