import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// The built package: the lab boots the guest with the compiled agent beside it in dist.
import { DEFAULT_CACHE, runVirtualLab } from '@dpdk-hotplug/hil';
import { afterAll, describe, expect, it } from 'vitest';

// The smoke run needs QEMU (the set-up installs it), root (the first run downloads and unpacks
// Debian packages) and x86-64.
const can =
  process.platform === 'linux' &&
  process.arch === 'x64' &&
  process.getuid?.() === 0 &&
  existsSync('/usr/bin/apt-get') &&
  existsSync('/usr/bin/qemu-system-x86_64');
const out = mkdtempSync(join(tmpdir(), 'dphp-lab-smoke-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe.skipIf(!can)('virtual lab smoke run (QEMU guest, one hot-plugged NIC)', () => {
  /**
   * Steps: prepare the lab image (cached), write the one case as an inventory of one QEMU runner,
   * boot its guest, hot-plug a peer NIC, and run `lab run` in the guest (conformance's PCI spec on
   * Playwright, the runner's lab): QEMU hot-plugs an e1000e, bind uio_pci_generic with
   * @dpdk-hotplug/linux, attach, send frames to the peer, detach, restore e1000e, unplug; then
   * `lab merge` on the host.
   * Verify: every planned PCI check passes, judged by the suite's reporter; the report names the
   * QEMU, its accelerator (KVM or TCG) and the guest kernel; QEMU is gone and the run folder
   * removed afterwards, its end recorded as the lab's own quit; the merged summary, JUnit, certificate and HTML report, the inventory and
   * the runner's folder (lab run's reports, the guest's logs) are in the output folder.
   */
  // About 1 minute on a quiet host; Playwright starting twice in the emulated guest (runner and
  // worker) took up to 6 minutes with the host's 2 cores shared by a load of 20.
  it('certifies e1000e on uio_pci_generic with clean removal', { timeout: 600_000 }, async () => {
    const summary = await runVirtualLab({
      models: ['e1000e'],
      drivers: ['uio_pci_generic'],
      removals: ['clean'],
      cycles: 1,
      outDir: out,
      onProgress: () => {},
    });
    expect(summary.duts).toHaveLength(1);
    const dut = summary.duts[0]!;
    expect(dut.checks.filter((c) => c.status !== 'PASS')).toEqual([]);
    expect(dut.verdict, dut.verdictReasons?.join('; ')).toBe('CERTIFIED');
    expect(dut.checks.map((c) => c.id)).toEqual([101, 102, 103, 104, 105, 106, 107, 108, 109, 112]);
    // 112 compares with testpmd (advisory); the others are the contract.
    expect(dut.checks.filter((c) => c.class !== 'required').map((c) => c.id)).toEqual([112]);
    expect(dut.checks.find((c) => c.id === 112)?.notes).toContainEqual(
      expect.stringMatching(
        /^testpmd: attach ok 0, info ok \S+ net_e1000_em, start ok, detach-started refused/,
      ),
    );
    expect(dut.checks.find((c) => c.id === 104)?.notes).toContainEqual(
      expect.stringMatching(/^traffic: 4 frames sent, 4 counted by the peer/),
    );
    expect(dut.pci).toMatchObject({ model: 'e1000e', removal: 'qemu', unplug: 'clean' });
    expect(dut.pci?.lab).toMatch(/^QEMU \S+ \((KVM|TCG, (single|multi)-threaded): .+\), guest kernel \S+/);
    expect(dut.runner).toBe('virtual-uio');
    expect(readdirSync(out)).toEqual(
      expect.arrayContaining([
        'certificate.html',
        'html',
        'inventory.json',
        'junit.xml',
        'summary.json',
        'summary.md',
        'virtual-uio',
      ]),
    );
    expect(readdirSync(join(out, 'virtual-uio')).sort()).toEqual(
      expect.arrayContaining([
        'certify',
        'console.log',
        'guest.log',
        'heartbeat',
        'qemu-exit.json',
        'runner.json',
      ]),
    );
    // QEMU ended cleanly after lab run: the lab quit it, or the guest powered itself off first
    // (its init does once the agent wrote guest-done; a race either may win). Never a signal, a
    // reset or a panic.
    const exit = JSON.parse(readFileSync(join(out, 'virtual-uio', 'qemu-exit.json'), 'utf8'));
    const clean =
      exit.signal === null &&
      ((exit.shutdown === 'host-qmp-quit' && exit.beforeStop === false) ||
        (exit.shutdown === 'guest-shutdown' && exit.code === 0));
    expect(clean, `qemu-exit.json: ${JSON.stringify(exit)}`).toBe(true);
    expect(readFileSync(join(out, 'junit.xml'), 'utf8')).toContain('101. plug');
    // This run's folder is gone; another process's runs (a lab beside this test) are theirs.
    const runs = join(DEFAULT_CACHE, 'runs');
    const mine = (existsSync(runs) ? readdirSync(runs) : []).filter((d) => d.includes(`-${process.pid}-`));
    expect(mine).toEqual([]);
  });
});
