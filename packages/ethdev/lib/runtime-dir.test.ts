/**
 * EAL runtime folders are never another process's: the SDK's own prefix by default, and
 * cleanup() removes only the folder this process's init made. Each EAL runs in a child.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { currentDpdk } from './dpdk-install.js';
import { removableRuntimeDir } from './runtime-dir.js';
import { isRoot } from './test-support/env.js';
import { atLeast } from './versions.js';

const CHILD = fileURLToPath(new URL('./test-support/eal-child.mjs', import.meta.url));
const BASE = '/var/run/dpdk';
const base = { noHuge: true, noPci: true, memoryMb: 64, logLevel: 'error', logEcho: false };
const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** Runs an EAL in a child; returns its report. Its stdout must stay empty. */
function child(options: object, mode?: 'exit'): Record<string, unknown> {
  const r = spawnSync(process.execPath, [CHILD, JSON.stringify(options), ...(mode ? [mode] : [])], {
    encoding: 'utf8',
    timeout: 20_000,
  });
  expect(r.status, r.stderr).toBe(0);
  expect(r.stdout).toBe('');
  return JSON.parse(r.stderr.trim().split('\n').at(-1)!);
}

/** A folder in /var/run/dpdk this test makes (and removes afterwards), with a marker file. */
function dummy(name: string): string {
  const dir = join(BASE, name);
  mkdirSync(dir, { recursive: true });
  made.push(dir);
  writeFileSync(join(dir, 'marker'), 'not yours');
  return dir;
}

it('removes only a folder named by the prefix, directly under a DPDK runtime base, made by this init', () => {
  expect(removableRuntimeDir('/var/run/dpdk/app', 'app', false)).toBe('/var/run/dpdk/app');
  expect(removableRuntimeDir('/tmp/dpdk/app', 'app', false)).toBe('/tmp/dpdk/app');
  expect(removableRuntimeDir('/var/run/dpdk/app', 'app', true)).toBeUndefined();
  expect(removableRuntimeDir('/var/run/dpdk/other', 'app', false)).toBeUndefined();
  expect(removableRuntimeDir('/home/u/dpdk/app', 'app', false)).toBeUndefined();
  expect(removableRuntimeDir('/var/run/dpdk', '', false)).toBeUndefined();
  expect(removableRuntimeDir('/var/run', '..', false)).toBeUndefined();
  expect(removableRuntimeDir('/var/run/dpdk/rte', undefined, false)).toBeUndefined();
});

describe.skipIf(!isRoot)('runtime folders (root: /var/run/dpdk)', () => {
  it("uses the SDK's own prefix by default, and cleanup removes only that folder", () => {
    const sibling = dummy(`dphp-fake-${process.pid}`);
    const r = child(base);
    expect(r.prefix).toMatch(/^dphp-\d+$/);
    expect(r).toMatchObject({ before: true, after: false });
    expect(readFileSync(join(sibling, 'marker'), 'utf8')).toBe('not yours');
    expect(existsSync(BASE)).toBe(true);
  });

  it('leaves a folder that existed before init, even with no shared config', () => {
    const prefix = `vitest-${process.pid}-pre`;
    const dir = dummy(prefix);
    const r = child({ ...base, filePrefix: prefix, noSharedConfig: true });
    expect(r).toMatchObject({ prefix, before: true, after: true });
    expect(readFileSync(join(dir, 'marker'), 'utf8')).toBe('not yours');
  });

  it("leaves a caller's prefix with shared config: secondaries may use it", () => {
    const prefix = `vitest-${process.pid}-shared`;
    made.push(join(BASE, prefix));
    expect(child({ ...base, filePrefix: prefix })).toMatchObject({ prefix, before: true, after: true });
  });

  it("removes a caller's prefix it made when nothing is shared", () => {
    const prefix = `vitest-${process.pid}-private`;
    made.push(join(BASE, prefix));
    expect(child({ ...base, filePrefix: prefix, noSharedConfig: true })).toMatchObject({
      before: true,
      after: false,
    });
  });

  it('removes its own folder when the process ends without cleanup()', () => {
    const prefix = `vitest-${process.pid}-exit`;
    made.push(join(BASE, prefix));
    expect(child({ ...base, filePrefix: prefix, noSharedConfig: true }, 'exit')).toMatchObject({ prefix });
    expect(existsSync(join(BASE, prefix))).toBe(false);
  });

  it("leaves a caller's shared prefix when the process ends without cleanup()", () => {
    const prefix = `vitest-${process.pid}-exit-shared`;
    made.push(join(BASE, prefix));
    child({ ...base, filePrefix: prefix }, 'exit');
    expect(existsSync(join(BASE, prefix))).toBe(true);
  });
});

/**
 * DPDK 25.11 parses the EAL's options with rte_argparse and `exit_on_error` (DPDK commit
 * f330b01df9, "eal: define the parameters in argparse format", first in 25.11; still so in 26.07):
 * an unknown option, or one given twice (`-m` next to the SDK's own; `-l` and `--lcores` are one
 * option there), makes rte_eal_init call exit(-EINVAL) after one log line; it never returns. DPDK's own testpmd on
 * sid's 25.11.4: `ARGPARSE: unknown argument --no-such-eal-flag!` on stderr, nothing on stdout,
 * exit status 234. No other thread writes: the process ends inside the call.
 */
const initExitsOnBadOption = atLeast(currentDpdk().version, 25, 11);

it.skipIf(initExitsOnBadOption)(
  "keeps DPDK's usage text and its direct error lines out of the caller's output: they are in dpdkLog",
  () => {
    const prefix = `vitest-${process.pid}-usage`;
    made.push(join(BASE, prefix));
    const r = child({ ...base, filePrefix: prefix, noSharedConfig: true, extraArgs: ['--vfio-intr=bogus'] });
    expect(r.code).toBe('EAL_INIT_FAILED');
    const dpdkLog = r.dpdkLog as string[];
    expect(dpdkLog.some((l) => /^Usage: /.test(l))).toBe(true);
    expect(dpdkLog).toContain('EAL: invalid parameters for --vfio-intr');
  },
);

describe.skipIf(!isRoot)('a failed init', () => {
  it('removes the runtime folder it made (a PMD that does not load fails init after the folder is made)', () => {
    const prefix = `vitest-${process.pid}-failed`;
    made.push(join(BASE, prefix));
    const notAPlugin = join(BASE, `${prefix}-not-a-plugin.so`);
    made.push(notAPlugin);
    writeFileSync(notAPlugin, 'not an ELF file');
    const r = child({ ...base, filePrefix: prefix, noSharedConfig: true, drivers: [notAPlugin] });
    expect(r.code).toBe('EAL_INIT_FAILED');
    expect(existsSync(join(BASE, prefix))).toBe(false);
  });

  it('leaves a folder that existed before the failed init', () => {
    const prefix = `vitest-${process.pid}-failed-pre`;
    const dir = dummy(prefix);
    const notAPlugin = join(dir, 'not-a-plugin.so');
    writeFileSync(notAPlugin, 'not an ELF file');
    const r = child({ ...base, filePrefix: prefix, noSharedConfig: true, drivers: [notAPlugin] });
    expect(r.code).toBe('EAL_INIT_FAILED');
    expect(readFileSync(join(dir, 'marker'), 'utf8')).toBe('not yours');
  });
});

it("keeps DPDK's words out of the caller's output when init fails and returns: they are in dpdkLog", () => {
  const prefix = `vitest-${process.pid}-conflict`;
  made.push(join(BASE, prefix));
  const lists = { allow: ['0000:00:01.0'], block: ['0000:00:02.0'] };
  // Any addresses do: what this machine has at them (its class) must not decide, DPDK's refusal of
  // the pair does (nonPortDevices: the allow list is not class-checked).
  const r = child({ ...base, filePrefix: prefix, noSharedConfig: true, nonPortDevices: true, ...lists });
  expect(r.code).toBe('EAL_INIT_FAILED');
  const dpdkLog = r.dpdkLog as string[];
  expect(dpdkLog).toContain("EAL: Options allow (-a) and block (-b) can't be used at the same time");
  // Up to 24.11 DPDK prints its usage (to stdout) with this error too; 25.11 only for --help.
  expect(dpdkLog.some((l) => /^Usage: /.test(l))).toBe(!initExitsOnBadOption);
});

it('refuses an unknown EAL flag before DPDK sees it, as DPDK 25.11 ends the process on one', () => {
  const prefix = `vitest-${process.pid}-unknown-flag`;
  made.push(join(BASE, prefix));
  const r = child({ ...base, filePrefix: prefix, noSharedConfig: true, extraArgs: ['--no-such-eal-flag'] });
  // Passed on, 22.11 and 24.11 would fail init (EAL_INIT_FAILED, with DPDK's words in dpdkLog)
  // and 25.11 would end the child: the SDK's own code, and no word of DPDK's, say it never ran.
  expect(r.code).toBe('INVALID_OPTION');
  expect(r.message).toMatch(/--no-such-eal-flag is not an EAL flag/);
  expect(r.dpdkLog ?? []).toEqual([]);
});
