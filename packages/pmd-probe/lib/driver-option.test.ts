/**
 * `dpdk-hotplug probe --driver PATH.so`: an out-of-tree PMD, read before anything runs and loaded
 * by the runtime probe's EAL. The refusals on real files (Debian's librte_eal registers no PMD);
 * the runtime on the suite's fixture PMD (conformance/fixtures/oot-pmd) built against a cached
 * source-built DPDK, skipped with the command that makes one when none is cached.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findDpdk } from '@dpdk-hotplug/ethdev';
// The built package's CLI: its runtime probe runs the compiled child.
import { main } from '@dpdk-hotplug/pmd-probe/cli';
import { describe, expect, it } from 'vitest';

async function cli(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const CACHE = process.env.DPDK_HOTPLUG_DPDK_CACHE ?? '/var/cache/dpdk-hotplug';
const debian = findDpdk(undefined, 'pkg-config');

/** A fixture PMD built for a cached 23.11 dpdk-build, and that build's prefix. */
function fixturePmd(): { so: string; prefix: string } | undefined {
  const root = join(CACHE, 'fixtures', 'net_dphpfix');
  if (!existsSync(root)) return undefined;
  for (const dir of readdirSync(root)
    .filter((d) => d.startsWith('23.11'))
    .sort()
    .reverse()) {
    const so = join(root, dir, 'defective', 'librte_net_dphpfix.so');
    const runpath = existsSync(so)
      ? /dpdk\/([^/]+)\/prefix/.exec(readFileSync(so, 'latin1'))?.[1]
      : undefined;
    const prefix = runpath && join(CACHE, 'dpdk', runpath, 'prefix');
    if (prefix && existsSync(prefix)) return { so, prefix };
  }
  return undefined;
}

describe('probe --driver', () => {
  it('refuses a .so that registers no PMD, a missing one, and forms that do not run a PMD', async () => {
    const eal = join(debian.libdir, `librte_eal.so.${debian.abi}`);
    const none = await cli(['runtime', 'net_null0', '--driver', eal]);
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/^dpdk-hotplug probe: --driver .*librte_eal\.so\.\d+: registers no PMD/);
    const missing = await cli(['runtime', 'net_null0', '--driver', '/nonexistent/x.so']);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('--driver /nonexistent/x.so: no such file');
    expect((await cli(['source', '.', '--driver', eal])).err).toContain('does not take --driver');
  });

  const fixture = process.getuid?.() === 0 ? fixturePmd() : undefined;
  it.skipIf(!fixture)(
    `runs the out-of-tree PMD it names (${fixture ? 'net_dphpfix' : `no fixture PMD cached: node tools/matrix/cli.mjs dpdk-build --tag v23.11.7 --git DPDK_GIT_DIR, then node conformance/fixtures/oot-pmd/build.mjs`})`,
    async () => {
      const { so, prefix } = fixture!;
      const ok = await cli(['net_dphpfix', '--driver', so, '--dpdk', prefix, '--cycles', '5', '--json']);
      const report = JSON.parse(ok.out);
      expect(report.binary.drivers.map((d: { name: string }) => d.name)).toEqual(['net_dphpfix']);
      expect(report.runtime[0]).toMatchObject({ devargs: 'net_dphpfix0', verdict: 'detachable' });
      const refuse = await cli([
        'runtime',
        'net_dphpfix0,defect=refuse',
        '--driver',
        so,
        '--dpdk',
        prefix,
        '--json',
      ]);
      expect(refuse.code).toBe(1);
      expect(JSON.parse(refuse.out).verdict).not.toBe('detachable');
    },
    120_000,
  );
});
