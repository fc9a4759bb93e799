/**
 * The CI templates' DPDK-less steps, run where there is no DPDK: `dpdk-hotplug lab runners` and
 * `lab merge` as the `dpdk-hotplug` command, in processes where pkg-config finds no libdpdk, the
 * dynamic linker's path leads nowhere and the SDK's binding cannot load at all (a module hook
 * refuses to resolve `koffi`, so any import of the binding fails the command). The workspace's
 * build there skips the native shim with a note (packages/ethdev/scripts/build-shim.mjs).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DPDK_HOTPLUG_BIN } from '../test-support/cli.js';
import type { RunnerRecord } from './record.js';

const work = mkdtempSync(join(tmpdir(), 'dphp-no-dpdk-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const require = createRequire(import.meta.url);
const bin = DPDK_HOTPLUG_BIN;
const buildShim = join(
  dirname(require.resolve('@dpdk-hotplug/ethdev/package.json')),
  'scripts',
  'build-shim.mjs',
);
const inventory = join(import.meta.dirname, '..', '..', 'inventory', 'vdev-lab.yaml');

// A module hook that makes the SDK's binding unloadable: koffi does not resolve.
writeFileSync(
  join(work, 'hooks.mjs'),
  `export async function resolve(specifier, context, next) {
  if (specifier === 'koffi' || specifier.startsWith('koffi/'))
    throw new Error('no-dpdk test: koffi may not be loaded here (' + context.parentURL + ')');
  return next(specifier, context);
}
`,
);
writeFileSync(
  join(work, 'no-koffi.mjs'),
  `import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n`,
);

/** A machine without DPDK: pkg-config and ld.so find nothing, DPDK_HOTPLUG_DPDK unset. */
const env = (() => {
  const e: Record<string, string | undefined> = {
    ...process.env,
    PKG_CONFIG_LIBDIR: join(work, 'nowhere'),
    PKG_CONFIG_PATH: join(work, 'nowhere'),
    LD_LIBRARY_PATH: join(work, 'nowhere'),
  };
  delete e.DPDK_HOTPLUG_DPDK;
  delete e.LD_PRELOAD;
  return e;
})();

/** `dpdk-hotplug ARGS` on that machine, koffi unloadable. */
function noDpdk(args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, ['--import', join(work, 'no-koffi.mjs'), bin, ...args], {
    encoding: 'utf8',
    env,
    timeout: 60_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** A lab run folder as `lab run` leaves it on a runner, its DUT failing `failing` checks. */
function runFolder(runner: string, dut: string, pmd: string, failing: number[]): string {
  const folder = join(work, runner);
  mkdirSync(join(folder, 'certify'), { recursive: true });
  const record: RunnerRecord = {
    tool: 'dpdk-hotplug lab run',
    inventory: 'lab.yaml',
    runner,
    machine: { hostname: `host-${runner}`, kernel: 'Linux 6.1.0', dpdk: '22.11.11' },
    duts: [dut],
    startedAt: '2026-12-06T10:00:00.000Z',
    finishedAt: '2026-12-06T10:05:00.000Z',
    exitCode: 1,
  };
  writeFileSync(join(folder, 'runner.json'), JSON.stringify(record));
  const checks = [1, ...failing].map((id) => ({
    id,
    title: `${id}. check`,
    status: failing.includes(id) ? 'FAIL' : 'PASS',
    notes: [],
    durationMs: 3,
  }));
  const summary = {
    startedAt: record.startedAt,
    status: 'failed',
    checksPlanned: checks.length,
    duts: [
      {
        name: dut,
        pmd,
        devargs: `${pmd}0`,
        runner,
        dpdkVersion: 'DPDK 22.11.11',
        planned: checks.map((c) => c.id),
        checks,
        verdict: 'FAILED',
      },
    ],
  };
  writeFileSync(join(folder, 'certify', 'summary.json'), JSON.stringify(summary));
  return folder;
}

describe('the CI steps that need no DPDK', () => {
  /**
   * Steps: on the DPDK-less machine, `lab prepare` (which needs DPDK: the control), then `lab
   * runners` (plain and --json) of the example inventory.
   * Verify: the control fails on the hook's refusal, so the hook holds; lab runners lists both
   * runners, exit 0, nothing on stderr.
   */
  it('lists the runners with no DPDK and no loadable binding', () => {
    const control = noDpdk(['lab', 'prepare', '--inventory', inventory, '--runner', 'vdev-a']);
    expect(control.code).not.toBe(0);
    expect(control.err).toContain('no-dpdk test: koffi may not be loaded here');
    expect(noDpdk(['lab', 'runners', '--inventory', inventory])).toEqual({
      code: 0,
      out: 'vdev-a\nvdev-b\n',
      err: '',
    });
    expect(JSON.parse(noDpdk(['lab', 'runners', '--inventory', inventory, '--json']).out)).toEqual([
      'vdev-a',
      'vdev-b',
    ]);
  });

  /**
   * Steps: two runners' folders whose DUTs fail only net_ring's and net_null's known checks on
   * 22.11, merged with --expect auto; then with a third runner whose DUT fails a check no file
   * lists.
   * Verify: exit 0, then 1, on the DPDK-less machine (auto takes each runner's DPDK from its
   * record); summary, certificate and JUnit written.
   */
  it('merges the runners with --expect auto, red only on the regression', () => {
    const a = runFolder('na', 'na-ring', 'net_ring', [6, 10]);
    const b = runFolder('nb', 'nb-null', 'net_null', [7]);
    const green = noDpdk(['lab', 'merge', a, b, '--out', join(work, 'green'), '--expect', 'auto']);
    expect(green.code, green.err).toBe(0);
    expect(green.out).toContain('3 known failure(s)');
    for (const f of ['summary.json', 'summary.md', 'certificate.html', 'junit.xml', 'expectations.md'])
      expect(readFileSync(join(work, 'green', f), 'utf8').length).toBeGreaterThan(0);
    const c = runFolder('nc', 'nc-ring', 'net_ring', [3]);
    const red = noDpdk(['lab', 'merge', a, b, c, '--out', join(work, 'red'), '--expect', 'auto']);
    expect(red.code, red.err).toBe(1);
    expect(red.out).toMatch(/NEW FAIL +nc-ring check 3/);
    expect(readFileSync(join(work, 'red', 'junit.xml'), 'utf8')).toMatch(/<testsuites [^>]*failures="1"/);
  });

  /**
   * Steps: `lab runners --inventory` of a YAML alias bomb (9^7 expansions).
   * Verify: exit 2, one line naming the file and the parser's refusal, no stack trace.
   */
  it('refuses a hostile inventory in one line, exit 2', () => {
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 8; i++) {
      const prev = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      levels.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(', ')}]`);
    }
    const bomb = join(work, 'bomb.yaml');
    writeFileSync(bomb, `${levels.join('\n')}\nversion: 1\nrunners: []\n`);
    const r = noDpdk(['lab', 'runners', '--inventory', bomb]);
    expect(r.code).toBe(2);
    const lines = r.err.trim().split('\n');
    expect(lines[0]).toMatch(
      new RegExp(
        `^dpdk-hotplug lab: ${bomb.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not read as YAML: Excessive alias count`,
      ),
    );
    expect(r.err).not.toMatch(/^\s+at /m);
    expect(r.out).toBe('');
  });

  /**
   * Steps: the ethdev package's build step on the DPDK-less machine, with --prebuild-or-skip (the
   * package's build script) and with --prebuild (pack time).
   * Verify: the build goes on with a note naming what is skipped; with --prebuild alone it still fails.
   */
  it('builds without the native shim, saying so', () => {
    const build = (args: string[]) =>
      spawnSync(process.execPath, [buildShim, ...args], { encoding: 'utf8', env, timeout: 60_000 });
    const skipped = build(['--prebuild-or-skip']);
    expect(skipped.status).toBe(0);
    expect(skipped.stdout).toBe('');
    expect(skipped.stderr).toContain(
      'build-shim: no DPDK found by pkg-config (libdpdk): the native shim is not built',
    );
    const strict = build(['--prebuild']);
    expect(strict.status).toBe(1);
    expect(strict.stderr).toContain('build-shim: libdpdk not found by pkg-config');
  });
});
