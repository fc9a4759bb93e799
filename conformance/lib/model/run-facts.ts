/**
 * What a certificate must say to stand alone: which suite (version, commit), on which Node and
 * DPDK (and where that DPDK came from), on which kernel and machine, run how (the command line and
 * its settings). Collected once, in the runner process, and kept in summary.json; the suite's
 * commit (readSuiteCommit) comes later, in the background.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { arch, cpus, hostname, release, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { currentDpdk, DPDK_ENV } from '@dpdk-hotplug/ethdev';

export interface RunFacts {
  suite: { name: string; version: string; commit?: string; modified?: boolean };
  node: string;
  dpdk: { version: string; prefix: string; from: 'pkg-config' | 'DPDK_HOTPLUG_DPDK' | '--dpdk' };
  kernel: string;
  machine: { hostname: string; arch: string; cpu: string; cores: number; memoryGiB: number };
  /** The command line as typed (`dpdk-hotplug certify …`), when the run came from the CLI. */
  command?: string;
  settings?: {
    cycles: number;
    budgetS: number;
    forceCycles: boolean;
    workers?: number;
    /** The expectations file compared with (--expect), if any. */
    expectations?: string;
  };
}

/** What the run's plan file says of how it was started (plan/certification-plan.ts writes it). */
export interface PlanFacts {
  command?: string[];
  settings?: { cycles: number; budgetMs: number; forceCycles: boolean };
  workers?: number;
  dpdk?: { given: boolean };
  expect?: { files: string[] };
}

const execFileAsync = promisify(execFile);
const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * The checkout's commit and whether tracked files differ from it; nothing outside a git checkout.
 * Asynchronous: `git status` stats every tracked file, which takes seconds on a slow filesystem
 * (a QEMU guest's 9p root under emulation took more than 5 s), so the reporter starts it at the
 * run's start and waits for it only at the end, never before the first worker.
 */
export async function readSuiteCommit(
  timeoutMs = 120_000,
  checkout = packageDir,
): Promise<{ commit?: string; modified?: boolean }> {
  // --no-optional-locks: `git status` would otherwise rewrite the index under .git/index.lock, and
  // a run killed meanwhile (certify's SIGKILL test did) leaves that lock, and the user's next git
  // command refuses to run.
  const git = async (...args: string[]) =>
    (
      await execFileAsync('git', ['--no-optional-locks', '-C', checkout, ...args], {
        encoding: 'utf8',
        timeout: timeoutMs,
      })
    ).stdout.trim();
  try {
    const commit = await git('rev-parse', 'HEAD');
    const modified = (await git('status', '--porcelain', '--untracked-files=no')) !== '';
    return { commit, modified };
  } catch {
    return {};
  }
}

/** The first CPU's model name, from /proc/cpuinfo (os.cpus() has it too, but empty on some VMs). */
function cpuModel(): string {
  const fromOs = cpus()[0]?.model?.trim();
  if (fromOs) return fromOs;
  try {
    return /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Quotes an argument for a shell only when it needs it. */
const shellWord = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

export function collectRunFacts(plan: PlanFacts = {}): RunFacts {
  const pkg = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as {
    name: string;
    version: string;
  };
  let dpdk: RunFacts['dpdk'];
  try {
    const install = currentDpdk();
    const from = plan.dpdk?.given ? '--dpdk' : process.env[DPDK_ENV] ? 'DPDK_HOTPLUG_DPDK' : 'pkg-config';
    dpdk = { version: install.version, prefix: install.prefix, from };
  } catch {
    dpdk = { version: 'unknown', prefix: 'unknown', from: 'pkg-config' };
  }
  const facts: RunFacts = {
    suite: { name: pkg.name, version: pkg.version },
    node: process.version,
    dpdk,
    kernel: `Linux ${release()}`,
    machine: {
      hostname: hostname(),
      arch: arch(),
      cpu: cpuModel(),
      cores: cpus().length,
      memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    },
  };
  if (plan.command) facts.command = plan.command.map(shellWord).join(' ');
  if (plan.settings)
    facts.settings = {
      cycles: plan.settings.cycles,
      budgetS: plan.settings.budgetMs / 1000,
      forceCycles: plan.settings.forceCycles,
      ...(plan.workers !== undefined ? { workers: plan.workers } : {}),
      ...(plan.expect?.files.length ? { expectations: plan.expect.files.join(', ') } : {}),
    };
  return facts;
}
