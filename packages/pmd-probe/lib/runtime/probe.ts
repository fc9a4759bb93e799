import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  analyzeLeaks,
  canonicalPciAddress,
  currentDpdk,
  DPDK_ENV,
  type EalOptions,
  type ResourceSnapshot,
  removableRuntimeDir,
  runtimeDirFor,
} from '@dpdk-hotplug/ethdev';
import { ProbeError } from '../errors.js';
import type { ChildMessage, ChildRequest } from './protocol.js';

export type RuntimeVerdict =
  | 'detachable'
  | 'not-supported'
  | 'refuses'
  | 'crashed'
  | 'hung'
  | 'leaks'
  | 'attach-failed'
  | 'reattach-failed'
  | 'lifecycle-failed';

export interface Leak {
  resource: 'fds' | 'threads' | 'memzones' | 'dpdkHeapBytes' | 'netdevs';
  /** Growth per cycle (the fitted slope after the warm-up). */
  perCycle: number;
}

export interface RuntimeResult {
  devargs: string;
  verdict: RuntimeVerdict;
  /** One sentence: what happened, with the DPDK error code or signal. */
  reason: string;
  /** The device name detach returned (`net_null0`, `0000:01:00.0`), once it detached. */
  device?: string;
  cyclesDone: number;
  /** Where it stopped, for crashes, hangs and errors. */
  stage?: string;
  cycle?: number;
  code?: string;
  errno?: number;
  signal?: string;
  leaks: Leak[];
  resources: ResourceSnapshot[];
  dpdkLog: string[];
  /** The child's stderr, last lines: DPDK's log when it died. */
  stderr: string[];
  durationMs: number;
}

export interface RuntimeOptions {
  /**
   * Attach/detach cycles (default 20: enough for the leak thresholds to see 384 B per cycle; fewer
   * than MIN_LEAK_CYCLES give no leak verdict).
   */
  cycles?: number;
  /** Configure, start and stop in each cycle (default true). */
  lifecycle?: boolean;
  /** Kill the child after this long and call it hung (default 30 s). */
  timeoutMs?: number;
  /** EAL options for the child; by default no hugepages, no shared config, its own file prefix. */
  eal?: EalOptions;
  /** Out-of-tree PMDs (.so, absolute paths) the child's EAL loads (`-d`), beside `eal.drivers`. */
  drivers?: string[];
  /** The child program; tests replace it to exercise crashes and hangs. */
  childScript?: string;
}

const RESOURCES: Leak['resource'][] = ['fds', 'threads', 'memzones', 'dpdkHeapBytes', 'netdevs'];

/**
 * The leaks in a series of snapshots, by the one leak analysis the certification uses
 * (`analyzeLeaks` of @dpdk-hotplug/ethdev: a least-squares slope after a warm-up, with per-resource
 * thresholds), so `probe runtime` and `certify` judge a series the same way.
 */
export function findLeaks(series: readonly ResourceSnapshot[]): Leak[] {
  const samples = series.map((s) => Object.fromEntries(RESOURCES.map((r) => [r, s[r]])));
  return analyzeLeaks(samples)
    .filter((v) => v.leaks)
    .map((v) => ({ resource: v.resource as Leak['resource'], perCycle: v.slope }));
}

function defaultEal(devargs: string): EalOptions {
  const pci = canonicalPciAddress(devargs.split(',')[0]!) !== undefined;
  return {
    noHuge: true,
    memoryMb: 256,
    noSharedConfig: true,
    filePrefix: `dphp-probe-${process.pid}-${Date.now() % 100000}`,
    logLevel: 'notice',
    // A PCI probe scans the bus but probes nothing at start: the device under probe is attached later.
    ...(pci ? { allow: ['0000:00:00.0'] } : { noPci: true }),
  };
}

/**
 * Attaches and detaches a device in a child process of its own and says what happened. It never
 * throws for what the PMD does (a crash or a hang is a verdict); only for bad input.
 */
export async function probeRuntime(devargs: string, options: RuntimeOptions = {}): Promise<RuntimeResult> {
  const first = await runChild(devargs, options);
  // A port that cannot start here (no peer, no link) still says whether it detaches: go again
  // with attach and detach alone, and keep why the lifecycle failed.
  if (first.verdict === 'lifecycle-failed' && (options.lifecycle ?? true)) {
    const again = await runChild(devargs, { ...options, lifecycle: false });
    return { ...again, reason: `${again.reason} (attach and detach only: ${first.reason})` };
  }
  return first;
}

function withDrivers(eal: EalOptions, drivers: string[] | undefined): EalOptions {
  return drivers?.length ? { ...eal, drivers: [...(eal.drivers ?? []), ...drivers] } : eal;
}

/** This process's DPDK choice, passed on: selectDpdk is per process, the child is another. */
function childEnv(): NodeJS.ProcessEnv {
  try {
    const d = currentDpdk();
    return d.selectedBy === 'pkg-config' ? process.env : { ...process.env, [DPDK_ENV]: d.prefix };
  } catch {
    return process.env; // no DPDK: the child says so itself
  }
}

async function runChild(devargs: string, options: RuntimeOptions): Promise<RuntimeResult> {
  if (!devargs.trim())
    throw new ProbeError('INVALID_ARGUMENT', 'probe runtime needs devargs, e.g. net_null0 or 0000:01:00.0');
  const cycles = options.cycles ?? 20;
  if (!Number.isInteger(cycles) || cycles < 1)
    throw new ProbeError('INVALID_ARGUMENT', `cycles must be a whole number ≥ 1, not ${cycles}`);
  const request: ChildRequest = {
    devargs,
    cycles,
    lifecycle: options.lifecycle ?? true,
    eal: withDrivers(options.eal ?? defaultEal(devargs), options.drivers),
  };
  const script = options.childScript ?? fileURLToPath(new URL('./child.js', import.meta.url));
  // The prefix this probe chose is its own: a child killed for hanging (or crashing) leaves its
  // folder in /run/dpdk, which the probe removes. A caller's prefix is the caller's.
  const ownPrefix = options.eal ? undefined : request.eal.filePrefix;
  const ownDir =
    ownPrefix === undefined
      ? undefined
      : removableRuntimeDir(runtimeDirFor(ownPrefix), ownPrefix, existsSync(runtimeDirFor(ownPrefix)));
  const started = performance.now();
  const child = spawn(process.execPath, [script, JSON.stringify(request)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: childEnv(),
  });
  const messages: ChildMessage[] = [];
  const stderr: string[] = [];
  let buffered = '';
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const l of lines) {
      try {
        messages.push(JSON.parse(l));
      } catch {}
    }
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr.push(...chunk.toString().split('\n').filter(Boolean));
    if (stderr.length > 200) stderr.splice(0, stderr.length - 200);
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, options.timeoutMs ?? 30_000);
  const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  clearTimeout(timer);
  if (ownDir) rmSync(ownDir, { recursive: true, force: true });

  const resources = messages.flatMap((m) => ('resources' in m ? [m.resources] : []));
  const lastStep = messages.filter((m): m is Extract<ChildMessage, { step: string }> => 'step' in m).at(-1);
  const failed = messages.find((m): m is Extract<ChildMessage, { failed: unknown }> => 'failed' in m)?.failed;
  const done = messages.find((m): m is Extract<ChildMessage, { done: unknown }> => 'done' in m)?.done;
  const base = {
    devargs,
    cyclesDone: resources.length,
    leaks: [] as Leak[],
    resources,
    dpdkLog: failed?.dpdkLog ?? [],
    stderr: stderr.slice(-20),
    durationMs: Math.round(performance.now() - started),
  };
  const where = lastStep ? `in ${lastStep.step} of cycle ${lastStep.cycle}` : 'before its first step';
  if (timedOut) {
    return {
      ...base,
      verdict: 'hung',
      reason: `no progress ${where} for ${options.timeoutMs ?? 30_000} ms; the probe process was killed`,
      ...(lastStep ? { stage: lastStep.step, cycle: lastStep.cycle } : {}),
    };
  }
  if (exit.signal || (!done && !failed)) {
    const how = exit.signal ? `killed by ${exit.signal}` : `exited with code ${exit.code} without a result`;
    return {
      ...base,
      verdict: 'crashed',
      reason: `the probe process was ${how} ${where}`,
      ...(exit.signal ? { signal: exit.signal } : {}),
      ...(lastStep ? { stage: lastStep.step, cycle: lastStep.cycle } : {}),
    };
  }
  if (failed) {
    const at = {
      stage: failed.stage,
      cycle: failed.cycle,
      code: failed.code,
      ...(failed.errno !== undefined ? { errno: failed.errno } : {}),
    };
    if (failed.stage === 'eal')
      throw new ProbeError('RUNTIME_FAILED', `the EAL did not start: ${failed.message}`);
    if (failed.stage === 'attach') {
      return failed.cycle === 1
        ? {
            ...base,
            ...at,
            verdict: 'attach-failed',
            reason: `attach failed (${failed.code}): ${failed.message}`,
          }
        : {
            ...base,
            ...at,
            verdict: 'reattach-failed',
            reason: `detached cleanly, but attach ${failed.cycle} failed (${failed.code}): ${failed.message}`,
          };
    }
    if (failed.stage === 'detach') {
      return failed.code === 'DETACH_NOT_SUPPORTED'
        ? {
            ...base,
            ...at,
            verdict: 'not-supported',
            reason: `rte_dev_remove returned -ENOTSUP: ${failed.message}`,
          }
        : { ...base, ...at, verdict: 'refuses', reason: `detach failed (${failed.code}): ${failed.message}` };
    }
    return {
      ...base,
      ...at,
      verdict: 'lifecycle-failed',
      reason: `configure/start/stop failed (${failed.code}): ${failed.message}`,
    };
  }
  const leaks = findLeaks(resources);
  if (leaks.length) {
    return {
      ...base,
      leaks,
      device: done!.device,
      verdict: 'leaks',
      reason: `detaches, but every cycle leaves ${leaks.map((l) => `${Number(l.perCycle.toFixed(1))} ${l.resource}`).join(', ')} behind`,
    };
  }
  return {
    ...base,
    device: done!.device,
    verdict: 'detachable',
    reason: `${resources.length} attach/detach cycles, each clean; detach returned ${done!.device}`,
  };
}
