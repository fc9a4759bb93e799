import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labMachine } from '@dpdk-hotplug/linux/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../test-support/cli.js';
import { prepareCommand, restoreCommand } from './prepare.js';

const work = mkdtempSync(join(tmpdir(), 'dphp-lab-prepare-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const cli = runCli;

const inventory = (name: string, text: string) => {
  const file = join(work, name);
  writeFileSync(file, text);
  return file;
};
const pci = (bdf: string, ids: string, driver: string, kernelDriver: string) =>
  `      - pci: ${bdf}\n        model: nic\n        ids: ${ids}\n        driver: ${driver}\n        kernelDriver: ${kernelDriver}\n        traffic: none\n        removal: none\n`;

describe('dpdk-hotplug lab prepare', () => {
  /**
   * Steps: the old spelling (`lab prepare`, `--cache`), a missing --runner, an unknown runner, a
   * malformed inventory, --dry-run without --fix.
   * Verify: exit 2 and lines naming what is wrong (the image's new command named), nothing read.
   */
  it('refuses bad usage, and says where the QEMU image preparation went', async () => {
    const good = inventory(
      'good.yaml',
      'version: 1\nrunners:\n  - name: lab1\n    duts:\n      - vdev: net_null0\n',
    );
    const bad = inventory(
      'bad.yaml',
      `version: 1\nrunners:\n  - name: lab1\n    duts:\n${pci('0000:01:00', '8086:10d3', 'vfio_pci', 'e1000e')}`,
    );
    const cases: Array<[string[], string]> = [
      [['prepare'], 'prepared by `lab image [--cache DIR]` now'],
      [['prepare', '--cache', '/tmp/x'], 'prepared by `lab image [--cache DIR]` now'],
      [['image', '--fix'], 'lab image does not take --fix'],
      [['prepare', '--inventory', good, '--runner', 'lab1', '--fix', '--restore'], 'give one'],
      [['prepare', '--inventory', good], 'lab prepare needs --runner NAME'],
      [['prepare', '--inventory', good, '--runner', 'lab2'], 'no runner lab2 (did you mean lab1?)'],
      [
        ['prepare', '--inventory', good, '--runner', 'lab1', '--dry-run'],
        '--dry-run lists what --fix would do',
      ],
    ];
    for (const [args, message] of cases) {
      const r = await cli(args);
      expect(r.code, `${args.join(' ')}: ${r.err}`).toBe(2);
      expect(r.err).toContain(message);
    }
    const r = await cli(['prepare', '--inventory', bad, '--runner', 'lab1']);
    expect(r.code).toBe(2);
    expect(r.err.split('\n').slice(0, 2)).toEqual([
      `dpdk-hotplug lab: ${bad}:5:14: runners[0].duts[0].pci: "0000:01:00" is not valid: a PCI address, domain:bus:device.function (0000:3b:00.0)`,
      `${bad}:8:17: runners[0].duts[0].driver: "vfio_pci" is not one of vfio-pci, igb_uio, uio_pci_generic (did you mean vfio-pci?)`,
    ]);
  });

  /**
   * Steps: on a fake machine, check then --fix a runner with a spare NIC and the machine's own.
   * Verify: the table says NOT READY with the fix, exit 1; after --fix the spare NIC is bound,
   * the own NIC untouched and still refused (exit 1 still).
   */
  it('prints the table, prepares with --fix, and exits 1 while a DUT cannot run', async () => {
    const m = labMachine();
    try {
      mkdirSync(join(m.devfs, 'vfio'), { recursive: true });
      writeFileSync(join(m.devfs, 'vfio/vfio'), '');
      const file = inventory(
        'fake.yaml',
        `version: 1\nrunners:\n  - name: lab1\n    duts:\n${pci('0000:01:00.0', '8086:10d3', 'vfio-pci', 'e1000e')}${pci('0000:00:03.0', '1af4:1041', 'vfio-pci', 'virtio-pci')}`,
      );
      const out: string[] = [];
      const io = { out: (l: string) => out.push(l), err: (l: string) => out.push(l) };
      const dpdk = () => ({ version: '22.11.11', prefix: '/usr' });
      const args = { inventory: file, runner: 'lab1', fix: false, dryRun: false };
      expect(await prepareCommand(args, io, false, m.host, dpdk)).toBe(1);
      expect(out.join('\n')).toMatch(
        /lab1-0000-01-00-0\s+bound\s+NOT READY\s+bound to e1000e: free to bind to vfio-pci — fix: --fix binds it/,
      );
      out.length = 0;
      expect(await prepareCommand({ ...args, fix: true }, io, false, m.host, dpdk)).toBe(1);
      expect(m.driverOf('0000:01:00.0')).toBe('vfio-pci');
      expect(m.driverOf('0000:00:03.0')).toBe('virtio-pci');
      expect(out).toContain('can run    lab1-0000-01-00-0');
      expect(out.find((l) => l.startsWith('CANNOT RUN lab1-0000-00-03-0'))).toMatch(/the machine uses it/);
      // --restore gives back what --fix bound (a dry run first: nothing written), and only that.
      out.length = 0;
      const back = { inventory: file, runner: 'lab1', dryRun: true };
      expect(await restoreCommand(back, io, false, m.host)).toBe(0);
      expect(m.driverOf('0000:01:00.0')).toBe('vfio-pci');
      expect(out[0]).toMatch(
        /^would restore +lab1-0000-01-00-0 \(0000:01:00\.0\): .*unbind <- 0000:01:00\.0/,
      );
      expect(out[1]).toBe('untouched     lab1-0000-00-03-0 (0000:00:03.0): no binding recorded');
      out.length = 0;
      expect(await restoreCommand({ ...back, dryRun: false }, io, false, m.host)).toBe(0);
      expect(m.driverOf('0000:01:00.0')).toBe('e1000e');
      expect(m.driverOf('0000:00:03.0')).toBe('virtio-pci');
      expect(out).toEqual([
        'restored      lab1-0000-01-00-0 (0000:01:00.0): vfio-pci -> e1000e',
        'untouched     lab1-0000-00-03-0 (0000:00:03.0): no binding recorded',
        'runner lab1: 2 PCI NIC(s), 1 restored',
      ]);
      // The record is gone with the restore: a second one touches nothing.
      out.length = 0;
      expect(await restoreCommand({ ...back, dryRun: false }, io, false, m.host)).toBe(0);
      expect(out[0]).toMatch(/^untouched +lab1-0000-01-00-0/);
    } finally {
      m.cleanup();
    }
  });

  /** Read only on this machine: its own NIC, listed by mistake, is refused; no --fix here. */
  it.skipIf(!existsSync('/sys/bus/pci/devices/0000:00:03.0'))(
    "refuses this machine's own NIC (read only)",
    async () => {
      const file = inventory(
        'own.yaml',
        `version: 1\nrunners:\n  - name: here\n    duts:\n${pci('0000:00:03.0', '1af4:1041', 'uio_pci_generic', 'virtio-pci')}      - vdev: net_null0\n`,
      );
      const r = await cli(['prepare', '--inventory', file, '--runner', 'here']);
      expect(r.code).toBe(1);
      expect(r.out).toMatch(/here-0000-00-03-0\s+not in use\s+NOT READY\s+the machine uses it: .*eth0/);
      expect(r.out).toContain('can run    here-net_null0');
      expect(r.out).toMatch(/runner here: 1 of 2 DUT\(s\) cannot run$/);
    },
  );
});
