import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunSummary } from '@dpdk-hotplug/conformance';
import { afterAll, describe, expect, it } from 'vitest';
import { mergeInto } from './cli.js';
import { runCli } from './test-support/cli.js';

const work = mkdtempSync(join(tmpdir(), 'dphp-hil-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const cli = runCli;
const QEMU_RUNNERS = join(import.meta.dirname, '..', 'inventory', 'qemu-runners.yaml');
/** `lab run`'s required options for a runner of QEMU_RUNNERS, its --out in `work`. */
const runOf = (runner: string) => [
  '--inventory',
  QEMU_RUNNERS,
  '--runner',
  runner,
  '--out',
  join(work, runner),
];

const dut = (name: string, verdict: 'CERTIFIED' | 'FAILED') => ({
  name,
  pmd: 'net_x',
  devargs: name,
  dpdkVersion: 'DPDK 22.11',
  checks: [],
  verdict,
});

describe('dpdk-hotplug lab', () => {
  it('rejects unknown models, drivers and commands before booting anything', async () => {
    const model = await cli(['virtual', '--models', 'rtl8139']);
    expect(model.code).toBe(2);
    expect(model.err).toContain('--models: no NIC model rtl8139; known: e1000');
    expect((await cli(['virtual', '--drivers', 'nvme'])).err).toContain('--drivers: no driver nvme');
    expect((await cli(['virtual', '--cycles', '0'])).code).toBe(2);
    expect((await cli(['reboot'])).code).toBe(2);
    expect((await cli([])).code).toBe(2);
  });

  /**
   * Steps: numbers as exponents, negative, hex; empty lists and typos; options of the other lab
   * command; --out / and ''; a --merge file that is not JSON or not a summary.
   * Verify: exit 2 and one line naming the option, before QEMU is prepared or booted.
   */
  it('refuses bad arguments the way every command does', async () => {
    const notJson = join(work, 'not.json');
    writeFileSync(notJson, '{');
    const notSummary = join(work, 'other.json');
    writeFileSync(notSummary, '{"runners": []}');
    const cases: Array<[string[], string]> = [
      [
        ['virtual', '--cycles', '1e3'],
        '--cycles must be a whole number from 1 to 1000 in decimal digits, got "1e3"',
      ],
      [['virtual', '--cycles', '-1'], '--cycles must be a whole number from 1 to 1000, got -1'],
      [['virtual', '--cycles', '0x10'], 'got "0x10"'],
      [['virtual', '--models', ''], '--models must not be empty'],
      [['virtual', '--models', 'e1000,'], '--models has an empty NIC model'],
      [['virtual', '--drivers', 'vfio_pci'], '--drivers: no driver vfio_pci (did you mean vfio-pci?)'],
      [['virtual', '--removal', 'suprise'], '--removal: no removal suprise (did you mean surprise?)'],
      [['virtual', '--out', ''], '--out must not be empty'],
      [['virtual', '--out', '/'], '--out /: refusing the root folder'],
      [['virtual', '--out', '/proc/dphp-no-such/x'], '--out /proc/dphp-no-such/x: cannot use it: ENOENT'],
      [['virtual', '--merge', notJson], `--merge ${notJson}: not valid JSON`],
      [['virtual', '--merge', notSummary], `--merge ${notSummary}: not a certification summary`],
      [['prepare', '--cycles', '3'], 'lab prepare does not take --cycles'],
      [['virtaul'], 'lab: unknown value "virtaul" (did you mean virtual?)'],
      [['virtual', 'now'], 'too many arguments: now'],
      // Guests as runners: the inventory says the NICs; its runners only.
      [['virtual', '--runner', 'qemu-a'], 'lab virtual takes --runner with --inventory'],
      [
        ['virtual', '--inventory', QEMU_RUNNERS, '--models', 'e1000'],
        'lab virtual --inventory takes its NICs from the inventory, not --models',
      ],
      [
        ['virtual', '--inventory', QEMU_RUNNERS, '--runner', 'qemu-c'],
        '--runner: no runner qemu-c (did you mean qemu-a?)',
      ],
      [['virtual', '--inventory', QEMU_RUNNERS, '--cycles', '0'], '--cycles must be a whole number'],
      // certify's devargs policy, checked as certify checks it, before anything is planned.
      [
        ['run', ...runOf('qemu-a'), '--devargs-budget', '0'],
        '--devargs-budget must be a whole number from 1 to 1048576, got 0',
      ],
      [
        ['run', ...runOf('qemu-a'), '--sysfs', '/proc/dphp-no-such'],
        '--sysfs /proc/dphp-no-such is not a folder',
      ],
      [['prepare', '--sysfs', '/sys'], 'lab prepare does not take --sysfs'],
    ];
    for (const [args, message] of cases) {
      const r = await cli(args);
      expect(r.code, `${args.join(' ')}: ${r.err}`).toBe(2);
      expect(r.err).toContain(message);
    }
  });

  /**
   * Steps: merge a lab summary into a conformance summary that has a vdev DUT and an older run
   * of the same lab DUT.
   * Verify: the vdev DUT is kept, the lab DUT replaced, and summary.md written beside it.
   */
  it('merges lab results into the certification summary', () => {
    const path = join(work, 'summary.json');
    const base: RunSummary = {
      startedAt: 'a',
      status: 'passed',
      checksPlanned: 15,
      duts: [dut('net_ring', 'CERTIFIED'), dut('virtual-e1000-vfio-pci-clean', 'FAILED')],
    };
    writeFileSync(path, JSON.stringify(base));
    const lab: RunSummary = {
      startedAt: 'b',
      status: 'passed',
      checksPlanned: 9,
      duts: [dut('virtual-e1000-vfio-pci-clean', 'CERTIFIED')],
    };
    const merged = mergeInto(path, lab);
    expect(merged.duts.map((d) => `${d.name} ${d.verdict}`)).toEqual([
      'net_ring CERTIFIED',
      'virtual-e1000-vfio-pci-clean CERTIFIED',
    ]);
    expect(merged.checksPlanned).toBe(15);
    expect(readFileSync(join(work, 'summary.md'), 'utf8')).toContain('virtual-e1000-vfio-pci-clean');
  });
});
