import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { main } from './doctor.js';

async function doctor(args: string[]) {
  const out: string[] = [];
  const code = await main(args, { out: (l) => out.push(l), err: (l) => out.push(l) });
  return { code, out: out.join('\n') };
}

describe('dpdk-hotplug doctor', () => {
  /**
   * Steps: doctor with a prefix that does not exist.
   * Verify: exit 1, the DPDK line says missing and names the path.
   */
  it('says what is missing and exits 1', async () => {
    const r = await doctor(['--dpdk', '/nonexistent/dpdk']);
    expect(r.code).toBe(1);
    expect(r.out).toContain('missing DPDK  No DPDK at /nonexistent/dpdk: no such directory');
  });

  /**
   * Steps: doctor on pkg-config's DPDK, text and JSON.
   * Verify: exit 0; the version pkg-config gives, its PMD folder, the shim built for it, and a
   * real load of the libraries.
   */
  it("describes pkg-config's DPDK, its PMD folder, its shim, and loads them", async () => {
    const version = execFileSync('pkg-config', ['--modversion', 'libdpdk'], { encoding: 'utf8' }).trim();
    const r = await doctor([]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(
      new RegExp(
        `^ok +DPDK +${version.replaceAll('.', '\\.')} install at /usr \\(selected by pkg-config\\)`,
        'm',
      ),
    );
    expect(r.out).toMatch(/^ok +PMD folder +\/usr\/lib\/\S+\/dpdk\/pmds-[\d.]+: \d+ PMDs$/m);
    expect(r.out).toMatch(
      new RegExp(`^ok +load +the shim and DPDK ${version.replaceAll('.', '\\.')} load`, 'm'),
    );
    const json = JSON.parse((await doctor(['--json'])).out);
    expect(json).toMatchObject({
      ok: true,
      dpdk: { version },
      shim: { built: true, stamp: { dpdk: version } },
    });
  });
});
