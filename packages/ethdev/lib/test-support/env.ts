import { execFileSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { currentDpdk } from '../dpdk-install.js';
import { Eal } from '../eal.js';
import { HotplugError } from '../errors.js';
import { runtimeDirFor } from '../runtime-dir.js';
import { ethernetFrame } from '../testing.js';
import type { EalOptions, PortId } from '../types.js';

/** The test process's own EAL file prefix: its pid makes it no other process's. */
const TEST_PREFIX = `vitest-${process.pid}`;

/** Options for a test's own EAL: no hugepages, no PCI, no shared files, its own prefix. */
export function testEalOptions(extra: EalOptions = {}): EalOptions {
  return {
    noHuge: true,
    noPci: true,
    memoryMb: 256,
    noSharedConfig: true,
    filePrefix: TEST_PREFIX,
    logLevel: 'error',
    logEcho: false,
    ...extra,
  };
}

/** One EAL for the test file's process (rte_eal_init runs once per process). */
export function startEal(extra: EalOptions = {}): Eal {
  return Eal.init(testEalOptions(extra));
}

/**
 * `eal.cleanup()`, then the runtime folder of a test's shared-config EAL, which the SDK keeps (a
 * secondary may use it) and a vitest worker's exit does not reach: named by the test's pid, so
 * the test's own. Returns what cleanup returned.
 */
export function endEal(eal: Eal): ReturnType<Eal['cleanup']> {
  const left = eal.cleanup();
  rmSync(runtimeDirFor(TEST_PREFIX), { recursive: true, force: true });
  return left;
}

export const isRoot = process.getuid?.() === 0;

/** Undo stack, as kselftest's `defer`: every state change registers its undo, run in reverse. */
export class Defer {
  readonly #undo: Array<() => void> = [];
  add(undo: () => void): void {
    this.#undo.push(undo);
  }
  run(): void {
    for (const undo of this.#undo.splice(0).reverse()) {
      try {
        undo();
      } catch (e) {
        console.error('cleanup step failed:', e);
      }
    }
  }
}

export function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8' });
}

/** A name no other test run uses (IFNAMSIZ allows 15 characters). */
export function uniqueIfName(tag: string): string {
  return `dh${tag}${process.pid % 100000}`.slice(0, 15);
}

/** A frame carrying `payload` (see testing.ts). */
export function frame(payload: string, length = 64): Buffer {
  return ethernetFrame(payload, length);
}

/** The HotplugError a call throws, or undefined when it does not throw; other errors propagate. */
export function errorOf(fn: () => unknown): HotplugError | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof HotplugError) return e;
    throw e;
  }
  return undefined;
}

/** The detach contract for a started port: refused with PORT_STARTED, and the port still started. */
export function expectDetachRefusedWhileStarted(eal: Eal, port: PortId): void {
  const error = errorOf(() => eal.detachSync(port));
  if (error?.code !== 'PORT_STARTED')
    throw new Error(`detach of started port ${port}: ${error?.code ?? 'not refused'}`);
  if (eal.port(port).state !== 'started')
    throw new Error(`port ${port} is ${eal.port(port).state} after the refusal`);
}

/**
 * Whether the DPDK in use has these PMD libraries (`baseband_null` → librte_baseband_null.so in
 * its PMD folder). Debian's has every one; a reduced source build (the release matrix's 23.11
 * and 26.07, `tools/matrix/dpdk-build.mjs`) only the suite's, so tests of others skip there.
 */
export function dpdkHasPmds(...names: string[]): boolean {
  const { pmdDir } = currentDpdk();
  return pmdDir !== undefined && names.every((n) => existsSync(join(pmdDir, `librte_${n}.so`)));
}
