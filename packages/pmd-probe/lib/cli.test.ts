import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
// The built package: probe() runs the runtime probe's compiled child.
import { driverOf, probe } from '@dpdk-hotplug/pmd-probe';
import { main as builtMain } from '@dpdk-hotplug/pmd-probe/cli';
import { describe, expect, it } from 'vitest';
import { main } from './cli.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/source/${name}`, import.meta.url));

async function cli(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('dpdk-hotplug probe', () => {
  /**
   * Steps: `probe source` on the modern fixture tree, text and --json.
   * Verify: each driver with verdict, registration and evidence lines; exit 1 because one driver
   * cannot detach; the JSON has the documented shape.
   */
  it('source: verdicts with evidence, exit code says if any driver cannot detach', async () => {
    const r = await cli(['source', fixture('modern-tree')]);
    expect(r.code).toBe(1);
    expect(r.out).toContain(
      'not-detachable net_stuck [pci, RTE_PMD_REGISTER_PCI at drivers/net/stuck/stuck.c:8]',
    );
    expect(r.out).toContain('remove-callback drivers/net/fast/fast_ethdev.c:8  .remove = fast_pci_remove,');
    const json = JSON.parse((await cli(['source', fixture('modern-tree'), '--json'])).out);
    expect(json).toMatchObject({ era: 'modern', files: 7 });
    expect(json.drivers[0]).toEqual(
      expect.objectContaining({
        name: expect.any(String),
        verdict: expect.any(String),
        evidence: expect.any(Array),
      }),
    );
  });

  /**
   * Steps: `probe net_ring --source <fixture tree without net_ring>`, and `probe <source tree>`.
   * Verify: runtime evidence alone for net_ring, said so; the source tree gets source evidence
   * and the runtime is skipped with the reason.
   */
  it('combined: says which evidence there is and whether it agrees', async () => {
    const ring = await probe('net_ring', { runtime: { cycles: 3 } });
    expect(ring.kind).toBe('pmd-name');
    expect(ring.binary?.drivers.map((d) => d.name)).toEqual(['net_ring']);
    expect(ring.runtime?.[0]?.verdict).toBe('detachable');
    expect(ring.agreement).toEqual([
      expect.objectContaining({
        driver: 'net_ring',
        runtime: 'detaches',
        agree: true,
        note: expect.stringContaining('only runtime'),
      }),
    ]);
    const tree = await probe(fixture('legacy-tree'));
    expect(tree.kind).toBe('source-tree');
    expect(tree.skipped[0]).toContain('runtime');
    expect(tree.agreement.find((a) => a.driver === 'eth_typo')).toMatchObject({
      source: 'does-not-detach',
      agree: true,
    });
    expect(driverOf('eth_pcap0,iface=eth0')).toBe('net_pcap');
  });

  /**
   * Steps: `probe <the machine's own NIC's address>` without the runtime part (it would attach).
   * Verify: taken as a PCI device; the installed PMD claiming its vendor:device is named.
   */
  it.skipIf(!existsSync('/sys/bus/pci/devices/0000:00:03.0'))(
    'combined: a PCI address gets the PMDs that claim it',
    async () => {
      const own = await probe('00:03.0', { noRuntime: true });
      expect(own.kind).toBe('pci-device');
      const vendor = readFileSync('/sys/bus/pci/devices/0000:00:03.0/vendor', 'utf8').trim();
      if (vendor === '0x1af4') expect(own.binary?.drivers.map((d) => d.name)).toContain('net_virtio');
      expect(own.runtime).toBeUndefined();
      expect(own.skipped).toContain('runtime: not asked for');
    },
  );

  /**
   * Steps: probe PMD names and devargs no installed PMD registers (a letter too many, one too
   * few), and ones it does. Verify: the typos exit 2 before anything runs, one line with the
   * nearest registered name; registered names (eth_ aliases, a suffix after a separator) pass.
   */
  it('refuses a PMD name no installed PMD registers, naming the nearest', async () => {
    for (const [target, near] of [
      ['net_tapp', 'net_tap'],
      ['net_nul0', 'net_null'],
    ] as const) {
      const r = await cli([target, '--no-runtime']);
      expect(r.code, r.out + r.err).toBe(2);
      expect(r.err).toBe(
        `dpdk-hotplug probe: no PMD of the DPDK in use is named ${target.replace(/\d$/, '')} (nearest: ${near}) [NOT_FOUND]`,
      );
      expect(r.out).toBe('');
    }
    for (const [target, pmd] of [
      ['eth_null', 'net_null'],
      ['net_tap0,iface=x', 'net_tap'],
      ['net_pcap_rx,rx_pcap=x', 'net_pcap'],
    ] as const) {
      const r = await cli([target, '--no-runtime', '--json']);
      expect(r.code, r.err).toBe(0);
      expect(JSON.parse(r.out).binary.drivers.map((d: { name: string }) => d.name)).toEqual([pmd]);
    }
  });

  it('usage errors exit 2 with the reason', async () => {
    expect((await cli([])).code).toBe(2);
    const r = await cli(['pmdinfo', '--installed', '--id', '8086']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--id must be vendor:device in hex, e.g. 8086:10d3, got "8086"');
    expect((await cli(['source', '/nonexistent'])).err).toContain('[NOT_FOUND]');
  });

  /**
   * Steps: runtime cycles and timeouts written as exponents, negative, zero; options of another
   * form; an empty target. Verify: exit 2, one line naming the option and its range; nothing run.
   */
  it('refuses bad numbers and foreign options with exit 2', async () => {
    const cases: Array<[string[], string]> = [
      [
        ['runtime', 'net_null0', '--cycles', '1e3'],
        '--cycles must be a whole number from 1 to 10000 in decimal digits',
      ],
      [['runtime', 'net_null0', '--cycles', '-1'], '--cycles must be a whole number from 1 to 10000, got -1'],
      [['runtime', 'net_null0', '--cycles', '0'], 'got 0'],
      [
        ['runtime', 'net_null0', '--timeout-ms', '0x10'],
        '--timeout-ms must be a whole number from 1 to 3600000',
      ],
      [['source', '.', '--cycles', '5'], 'probe source does not take --cycles'],
      [['pmdinfo', '--installed', '--source', 'x'], 'probe pmdinfo does not take --source'],
      [[''], 'the target must not be empty'],
      [['net_null', '--source', ''], '--source must not be empty'],
      [['runtime', 'net_null0', 'extra'], 'too many arguments: extra'],
      [['runtime', 'net_null0', '--cylces', '5'], 'unknown option --cylces (did you mean --cycles?)'],
      [
        ['runtime', 'net_null0', '--devargs-budget', '0'],
        '--devargs-budget must be a whole number from 1 to 1048576, got 0',
      ],
      [
        ['runtime', 'net_null0', '--sysfs', '/nonexistent-sysfs'],
        '--sysfs /nonexistent-sysfs is not a folder',
      ],
      [['source', '.', '--sysfs', '/sys'], 'probe source does not take --sysfs'],
    ];
    for (const [args, message] of cases) {
      const r = await cli(args);
      expect(r.code, `${args.join(' ')}: ${r.err}`).toBe(2);
      expect(r.err).toContain(message);
    }
    expect(JSON.parse((await cli(['runtime', 'x', '--cycles', '-1', '--json'])).err)).toMatchObject({
      error: { code: 'USAGE' },
    });
  });

  /**
   * Steps: a runtime probe of af_packet rings of 128 MiB with --devargs-budget 64, then 256.
   * Verify: the child's EAL refuses the first (the budget in DPDK_HOTPLUG_DEVARGS_BUDGET_MB reached
   * it), and not the second.
   */
  it("--devargs-budget reaches the runtime probe's EAL", async (ctx) => {
    if (process.getuid?.() !== 0) return ctx.skip();
    const saved = process.env.DPDK_HOTPLUG_DEVARGS_BUDGET_MB;
    const af = 'net_af_packet0,iface=lo,framecnt=16384,qpairs=2';
    // The built CLI: its runtime probe starts the compiled child.
    const built = async (args: string[]) => {
      const lines: string[] = [];
      await builtMain(args, { out: (l) => lines.push(l), err: (l) => lines.push(l) });
      return lines.join('\n');
    };
    try {
      const over = await built(['runtime', af, '--devargs-budget', '64', '--cycles', '1', '--json']);
      expect(over).toContain('over the budget of 64 MiB');
      const under = await built(['runtime', af, '--devargs-budget', '256', '--cycles', '1', '--json']);
      expect(under).toContain('"devargs": "net_af_packet0');
      expect(under).not.toContain('over the budget');
    } finally {
      if (saved === undefined) delete process.env.DPDK_HOTPLUG_DEVARGS_BUDGET_MB;
      else process.env.DPDK_HOTPLUG_DEVARGS_BUDGET_MB = saved;
    }
  });
});
