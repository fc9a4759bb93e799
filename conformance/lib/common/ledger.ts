/**
 * What this run made on the machine — processes, interfaces, network namespaces, hugetlbfs
 * mounts, folders, hugepages — one
 * file per thing in the run's ledger folder, written when it is made and removed when it is given
 * back. A worker killed by a crash or the hang watchdog cannot give back what it holds; the
 * runner's global teardown undoes what the ledger still lists, and nothing else: no process is
 * killed by name, no hugepage count is reset, so two runs on one machine stay independent.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runtimeDirFor } from '@dpdk-hotplug/ethdev';
import {
  createHost,
  deleteLink,
  deleteNetns,
  type Host,
  mounts,
  mountsUnder,
  releaseHugepages,
  unmountHugetlbfs,
} from '@dpdk-hotplug/linux';

/** The ledger folder of the run (set in the Playwright config; the workers inherit it). */
export const LEDGER_ENV = 'DPDK_HOTPLUG_LEDGER';

/** The ledger folder of a run whose report folder is `out`. */
export function ledgerOf(out: string): string {
  return join(out, 'results', '.ledger');
}

export type LedgerEntry =
  | { kind: 'process'; pid: number; script: string }
  | { kind: 'mount'; path: string }
  | { kind: 'dir'; path: string }
  | { kind: 'netns'; name: string }
  | { kind: 'link'; name: string }
  | { kind: 'hugepages'; pages: number; pageSizeKb: number };

let counter = 0;

/** Writes an entry; returns the function that forgets it (call it once the thing is given back). */
export function record(entry: LedgerEntry, ledger = process.env[LEDGER_ENV]): () => void {
  if (!ledger) return () => {};
  mkdirSync(ledger, { recursive: true });
  const file = join(ledger, `${process.pid}-${++counter}-${entry.kind}.json`);
  writeFileSync(file, JSON.stringify(entry));
  return () => rmSync(file, { force: true });
}

/**
 * The DPDK runtime folder a process of this run makes with `--file-prefix prefix`, in the ledger
 * from now until `remove()`: a worker killed meanwhile leaves it to the run's end. One home for
 * the folders of the worker's EAL, its children, testpmd and the multi-process groups.
 */
export function runtimeFolder(prefix: string): { path: string; remove(): void } {
  const path = runtimeDirFor(prefix);
  const forget = record({ kind: 'dir', path });
  return {
    path,
    remove() {
      rmSync(path, { recursive: true, force: true });
      forget();
    },
  };
}

function entries(ledger: string): { file: string; entry: LedgerEntry }[] {
  if (!existsSync(ledger)) return [];
  return readdirSync(ledger)
    .filter((f) => f.endsWith('.json'))
    .flatMap((f) => {
      try {
        return [
          { file: join(ledger, f), entry: JSON.parse(readFileSync(join(ledger, f), 'utf8')) as LedgerEntry },
        ];
      } catch {
        return [];
      }
    });
}

/** Whether `pid` is alive and still runs `script` (a pid the kernel reused is someone else's). */
function runs(pid: number, script: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(script);
  } catch {
    return false;
  }
}

/**
 * Undoes every thing the ledger still lists, in order: processes, interfaces, namespaces, mounts,
 * folders, hugepages, through `host` (the machine's; a test passes a FakeMachine's). Returns one
 * line per thing undone, and the problems met (it goes on past them).
 */
export async function undoLeftovers(
  ledger: string,
  host: Host = createHost(),
): Promise<{ undone: string[]; problems: string[] }> {
  const undone: string[] = [];
  const problems: string[] = [];
  const all = entries(ledger);
  const order: LedgerEntry['kind'][] = ['process', 'link', 'netns', 'mount', 'dir', 'hugepages'];
  for (const kind of order) {
    for (const { file, entry } of all.filter((e) => e.entry.kind === kind)) {
      try {
        const what = await undo(host, entry);
        if (what) undone.push(what);
        unlinkSync(file);
      } catch (e) {
        problems.push(`${JSON.stringify(entry)}: ${(e as Error).message}`);
      }
    }
  }
  if (problems.length === 0) rmSync(ledger, { recursive: true, force: true });
  return { undone, problems };
}

async function undo(host: Host, entry: LedgerEntry): Promise<string | undefined> {
  switch (entry.kind) {
    case 'process':
      if (!runs(entry.pid, entry.script)) return undefined;
      process.kill(entry.pid, 'SIGKILL');
      return `killed ${entry.pid} (${entry.script})`;
    case 'mount':
      if (!(await mounts(host)).some((m) => m.target === entry.path && m.type === 'hugetlbfs'))
        return undefined;
      await unmountHugetlbfs(host, entry.path);
      return `unmounted ${entry.path}`;
    case 'dir': {
      if (!existsSync(entry.path)) return undefined;
      // Never delete through a mount: a folder with anything mounted under it stays.
      const [inside] = mountsUnder(await mounts(host), entry.path);
      if (inside) throw new Error(`left in place: ${inside.target} is mounted there`);
      rmSync(entry.path, { recursive: true, force: true });
      return `removed ${entry.path}`;
    }
    case 'link':
      return (await deleteLink(host, entry.name)) ? `deleted interface ${entry.name}` : undefined;
    case 'netns':
      return (await deleteNetns(host, entry.name)) ? `deleted network namespace ${entry.name}` : undefined;
    case 'hugepages':
      await releaseHugepages(host, entry.pages, { pageSizeKb: entry.pageSizeKb });
      return `gave back ${entry.pages} hugepages of ${entry.pageSizeKb} kB`;
  }
}
