import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readInventory } from '@dpdk-hotplug/conformance';
import { afterAll, describe, expect, it } from 'vitest';
import { initramfs } from './initramfs.js';
import {
  describeQemuExit,
  guestKernelArgs,
  MACHINE_DEFAULTS,
  QEMU_TRACE_LOG,
  qemuTrace,
  tcgThread,
  VirtualMachine,
} from './machine.js';
import { call, serve } from './mailbox.js';
import { QmpClient } from './qmp.js';
import { labCases, matrixInventory, plannedChecks, runVirtualLab, wasSkipped } from './run.js';

const work = mkdtempSync(join(tmpdir(), 'dphp-hil-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const QEMU = '/usr/bin/qemu-system-x86_64';

describe.skipIf(!existsSync('/bin/busybox'))('initramfs', () => {
  /**
   * Steps: write an archive with a directory, an executable, a text file and a symlink; unpack it
   * with busybox cpio.
   * Verify: the same tree comes out, modes and link target included.
   */
  it('is a newc archive cpio unpacks', () => {
    const gz = initramfs([
      { path: 'bin', type: 'dir' },
      { path: 'bin/tool', type: 'file', data: '#!/bin/sh\necho hi\n', mode: 0o755 },
      { path: 'etc/../data.txt', type: 'file', data: Buffer.from('x'.repeat(1001)) },
      { path: 'bin/sh', type: 'symlink', target: 'tool' },
    ]);
    const dir = join(work, 'unpacked');
    execFileSync(
      'sh',
      ['-c', `mkdir -p ${dir} && cd ${dir} && gzip -dc | /bin/busybox cpio -i -d 2>/dev/null`],
      { input: gz },
    );
    expect(readFileSync(join(dir, 'bin/tool'), 'utf8')).toBe('#!/bin/sh\necho hi\n');
    expect(statSync(join(dir, 'bin/tool')).mode & 0o777).toBe(0o755);
    expect(
      execFileSync('readlink', [join(dir, 'bin/sh')])
        .toString()
        .trim(),
    ).toBe('tool');
  });
});

describe.skipIf(!existsSync(QEMU))('QMP client against a real QEMU', () => {
  /**
   * Steps: start QEMU with no machine and a QMP socket; query its version; send an unknown
   * command; quit.
   * Verify: the version; QMP_ERROR naming CommandNotFound; the client sees the socket close;
   * the trace event the lab's `DPDK_HOTPLUG_LAB_QEMU_TRACE` asked for is in its QEMU log.
   */
  it('executes commands, types errors and sees QEMU go', async () => {
    const sock = join(work, 'qmp.sock');
    expect(qemuTrace(work, ' ,')).toEqual([]);
    const qemu = spawn(QEMU, [
      ...qemuTrace(work, 'monitor_qmp_cmd_in_band'),
      '-machine',
      'none',
      '-nodefaults',
      '-display',
      'none',
      '-qmp',
      `unix:${sock},server=on,wait=off`,
    ]);
    try {
      const qmp = await QmpClient.connect(sock, 10_000);
      const v = await qmp.execute<{ qemu: { major: number } }>('query-version');
      expect(v.qemu.major).toBeGreaterThanOrEqual(7);
      await expect(qmp.execute('no-such-command')).rejects.toMatchObject({
        code: 'QMP_ERROR',
        message: expect.stringContaining('CommandNotFound'),
      });
      const closed = new Promise<void>((r) => qmp.once('close', () => r()));
      await qmp.execute('quit');
      await closed;
      expect(readFileSync(join(work, QEMU_TRACE_LOG), 'utf8')).toMatch(/^monitor_qmp_cmd_in_band /m);
    } finally {
      qemu.kill('SIGKILL');
    }
  });
});

/** A made-up lab image and a TCG guest's options with one root port: for the QEMU arguments alone. */
const IMAGE = { kernel: '/k', initrd: '/i' } as Parameters<typeof VirtualMachine.args>[0];
const guestOptions = (iommu: boolean): Parameters<typeof VirtualMachine.args>[1] => ({
  ...MACHINE_DEFAULTS,
  runDir: work,
  rootPorts: 1,
  iommu,
});

describe("the guest kernel's command line", () => {
  /**
   * Steps: read DPDK_HOTPLUG_LAB_KERNEL_ARGS unset, blank, and with two settings; build a guest's
   * QEMU arguments with it set.
   * Verify: nothing, nothing, the two; they end the kernel's command line, after the lab's own.
   */
  it("takes more settings from the environment, after the lab's", () => {
    expect(guestKernelArgs(undefined)).toEqual([]);
    expect(guestKernelArgs('  ')).toEqual([]);
    expect(guestKernelArgs(' nohz=off  highres=off ')).toEqual(['nohz=off', 'highres=off']);
    const before = process.env.DPDK_HOTPLUG_LAB_KERNEL_ARGS;
    process.env.DPDK_HOTPLUG_LAB_KERNEL_ARGS = 'nohz=off highres=off';
    try {
      const args = VirtualMachine.args(IMAGE, guestOptions(true));
      expect(args[args.indexOf('-append') + 1]).toMatch(
        / intel_iommu=on .* loglevel=7 nohz=off highres=off$/,
      );
    } finally {
      if (before === undefined) delete process.env.DPDK_HOTPLUG_LAB_KERNEL_ARGS;
      else process.env.DPDK_HOTPLUG_LAB_KERNEL_ARGS = before;
    }
  });
});

describe("TCG's threading", () => {
  /**
   * Steps: read DPDK_HOTPLUG_LAB_TCG_THREAD for TCG and KVM; build a guest's QEMU arguments with
   * it unset and set to multi.
   * Verify: TCG is single-threaded unless multi is asked for (another value: INVALID_ARGUMENT);
   * KVM has no such setting; unset, `-accel tcg,thread=single` and the machine without `accel=`; multi, the
   * same with `thread=multi`.
   */
  it('is single-threaded unless multi is asked for', () => {
    expect(tcgThread('tcg', undefined)).toBe('single');
    expect(tcgThread('tcg', 'single')).toBe('single');
    expect(() => tcgThread('tcg', 'multii')).toThrow(
      /DPDK_HOTPLUG_LAB_TCG_THREAD="multii" is not TCG's threading/,
    );
    expect(() => tcgThread('tcg', 'one')).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', hint: 'use single or multi' }),
    );
    expect(tcgThread('tcg', 'multi')).toBe('multi');
    expect(tcgThread('kvm', 'multi')).toBeUndefined();
    expect(tcgThread('kvm', undefined)).toBeUndefined();
    const image = IMAGE;
    const o = guestOptions(false);
    const before = process.env.DPDK_HOTPLUG_LAB_TCG_THREAD;
    try {
      delete process.env.DPDK_HOTPLUG_LAB_TCG_THREAD;
      const plain = VirtualMachine.args(image, o);
      expect(plain[plain.indexOf('-machine') + 1]).toBe('q35');
      expect(plain[plain.indexOf('-accel') + 1]).toBe('tcg,thread=single');
      process.env.DPDK_HOTPLUG_LAB_TCG_THREAD = 'multi';
      const multi = VirtualMachine.args(image, o);
      expect(multi[multi.indexOf('-accel') + 1]).toBe('tcg,thread=multi');
    } finally {
      if (before === undefined) delete process.env.DPDK_HOTPLUG_LAB_TCG_THREAD;
      else process.env.DPDK_HOTPLUG_LAB_TCG_THREAD = before;
    }
  });
});

describe("QEMU's end, in a report's words", () => {
  /**
   * Steps: describe a guest that rebooted (SHUTDOWN guest-reset under -no-reboot, exit 0), a QEMU
   * killed with no SHUTDOWN event and an abort's stderr, and the lab's own quit.
   * Verify: each line names the code or signal, the SHUTDOWN reason or its absence, and stderr.
   */
  it('names the code or signal, the SHUTDOWN reason and stderr', () => {
    expect(describeQemuExit({ code: 0, signal: null, shutdown: 'guest-reset' })).toBe(
      'QEMU exited with code 0, after QMP SHUTDOWN (guest-reset)',
    );
    expect(describeQemuExit({ code: null, signal: 'SIGABRT', stderr: 'kvm.c:3849: Assertion failed' })).toBe(
      'QEMU killed by SIGABRT, no QMP SHUTDOWN event (QEMU did not shut down by itself); its stderr: kvm.c:3849: Assertion failed',
    );
    expect(describeQemuExit({ code: 0, signal: null, shutdown: 'host-qmp-quit' })).toMatch(/host-qmp-quit/);
  });
});

describe('mailbox', () => {
  /**
   * Steps: serve requests from a folder; call plug and a request the handler rejects.
   * Verify: the answer comes back; a host-side failure is a typed error on the guest side.
   */
  it('answers requests through files, errors included', async () => {
    const dir = join(work, 'mbox-run');
    const server = serve(dir, async (r) => {
      if (r.op === 'plug') return { id: 'nic1', model: r.model };
      throw new Error('no such device');
    });
    try {
      expect(await call(dir, { op: 'plug', model: 'e1000' })).toEqual({ id: 'nic1', model: 'e1000' });
      await expect(call(dir, { op: 'unplug', id: 'x' })).rejects.toMatchObject({
        code: 'QMP_ERROR',
        message: expect.stringContaining('no such device'),
      });
    } finally {
      await server.stop();
    }
  });
});

describe('lab cases', () => {
  it('cover every model × driver × removal, with the checks of each removal', () => {
    const cases = labCases({ models: ['e1000', 'vmxnet3'], drivers: ['uio_pci_generic', 'vfio-pci'] });
    expect(cases).toHaveLength(8);
    expect(cases[0]).toMatchObject({ name: 'virtual-e1000-uio_pci_generic-clean', cycles: 12 });
    expect(plannedChecks(cases[0]!)).toContain(107);
    expect(plannedChecks(cases[1]!)).toEqual(expect.arrayContaining([110, 111]));
    // The default matrix: six models (igb's SR-IOV VF among them), three drivers, two removals.
    expect(labCases({})).toHaveLength(36);
    expect(labCases({}).filter((c) => c.model === 'igbvf')).toHaveLength(6);
  });
});

describe('the matrix as an inventory', () => {
  /**
   * Steps: write two models × two drivers × two removals as the matrix's inventory and read it
   * back with conformance's inventory reader, as lab run does in the guest.
   * Verify: a UIO runner and an IOMMU runner; every DUT removed by QEMU in root port 1 (bus 01;
   * the igb VF at VF 0's address), with its model's PMD, ids and kernel driver, the clean or
   * surprise PCI checks, its cycles and the peer eth0; no DUT lost.
   */
  it('is a lab inventory of QEMU runners whose DUTs QEMU plugs into root port 1', () => {
    const cases = labCases({
      models: ['e1000e', 'igbvf'],
      drivers: ['uio_pci_generic', 'vfio-pci'],
      cycles: 3,
    });
    const file = join(work, 'matrix.json');
    writeFileSync(file, JSON.stringify(matrixInventory(cases)));
    const inventory = readInventory(file);
    expect(inventory.runners.map((r) => [r.name, r.duts.length])).toEqual([
      ['virtual-uio', 4],
      ['virtual-iommu', 4],
    ]);
    const duts = inventory.runners.flatMap((r) => r.duts);
    expect(duts.map((d) => d.name).sort()).toEqual(cases.map((c) => c.name).sort());
    expect(duts.find((d) => d.name === 'virtual-igbvf-vfio-pci-surprise')).toMatchObject({
      devargs: '0000:01:10.0',
      pmd: 'net_e1000_igb_vf',
      runner: 'virtual-iommu',
      cycles: 3,
      traffic: 'kernel-peer',
      peerInterface: 'eth0',
      pci: {
        model: 'igbvf',
        ids: '8086:10ca',
        driver: 'vfio-pci',
        kernelDriver: 'igbvf',
        removal: 'qemu',
        unplug: 'surprise',
      },
    });
    expect(duts.find((d) => d.name === 'virtual-e1000e-uio_pci_generic-clean')).toMatchObject({
      devargs: '0000:01:00.0',
      pci: { ids: '8086:10d3', kernelDriver: 'e1000e', unplug: 'clean' },
    });
  });
});

describe('DUTs the host cannot run', () => {
  /**
   * Steps: run the lab with igb and its VF on a QEMU 7.2 image and igb_uio on an image whose igb_uio did not
   * build (nothing runnable, so no guest boots).
   * Verify: each DUT is INCOMPLETE with the reason on every check and in pci.skipped, counted as
   * skipped, and the run itself passes; the summary is written.
   */
  it('are reported with the reason and not counted against the run', async () => {
    const image = {
      cacheDir: work,
      qemu: '/bin/false',
      qemuVersion: '7.2.22',
      kernelVersion: 'k',
      vmlinuz: '',
      kernel: '',
      initrd: '',
      modulesRoot: '',
      igbUio: { missing: 'building igb_uio failed: no headers' },
    };
    const out = join(work, 'not-run');
    const s1 = await runVirtualLab({
      models: ['igb', 'igbvf'],
      drivers: ['vfio-pci'],
      removals: ['clean'],
      outDir: out,
      image,
      onProgress: () => {},
    });
    const s2 = await runVirtualLab({
      models: ['e1000'],
      drivers: ['igb_uio'],
      removals: ['surprise'],
      outDir: out,
      image,
      onProgress: () => {},
    });
    expect(s1.duts.map((d) => d.pci?.skipped)).toEqual([
      'QEMU 7.2.22: QEMU emulates igb since 8.0',
      'QEMU 7.2.22: QEMU emulates igb and its SR-IOV VFs since 8.0',
    ]);
    for (const [s, why] of [
      [s1, 'QEMU 7.2.22: QEMU emulates igb since 8.0'],
      [s2, 'igb_uio: building igb_uio failed: no headers'],
    ] as const) {
      expect(s.status).toBe('passed');
      const d = s.duts[0]!;
      // Not judged here: the machine lacks what the DUT needs, and the verdict says what.
      expect(d.verdict).toBe('INCONCLUSIVE');
      expect(d.verdictReasons).toEqual([`not run: ${why}`]);
      expect(wasSkipped(d)).toBe(true);
      expect(d.pci?.skipped).toBe(why);
      expect(d.checks.every((c) => c.status === 'SKIP' && c.reason === why)).toBe(true);
    }
    expect(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).duts[0].name).toBe(
      'virtual-e1000-igb_uio-surprise',
    );
  });
});
