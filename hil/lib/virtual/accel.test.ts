import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isLabError } from '../errors.js';
import { type Accel, chooseAccel } from './accel.js';
import type { LabImage } from './image.js';

const cacheDir = mkdtempSync(join(tmpdir(), 'dphp-accel-'));
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));
const image = (qemuVersion: string) => ({ cacheDir, qemuVersion }) as LabImage;

let kvm = true;
try {
  accessSync('/dev/kvm', constants.R_OK | constants.W_OK);
} catch {
  kvm = false;
}

describe('choosing KVM or TCG', () => {
  /**
   * Steps: a probe (the seam: the real one boots QEMU, slower than a unit test may be) that
   * refuses `-cpu host` at once and hangs with `qemu64`; choose twice for one QEMU, then for another.
   * Verify: both CPU models tried, TCG chosen with both reasons; the second choice is the cached
   * one (no probe); a new QEMU version probes again; a probe that boots picks KVM with its model.
   */
  it.skipIf(!kvm)('probes once per host kernel and QEMU, falls back to TCG on a hang', async () => {
    const calls: string[] = [];
    const probe = async (_: LabImage, accel: Accel, cpu: string, deadlineMs: number) => {
      calls.push(`${accel} ${cpu}`);
      return cpu === 'host'
        ? { reached: false, ms: 300, why: 'QEMU exited before the guest init: MSR' }
        : { reached: false, ms: deadlineMs, why: `no guest init within ${deadlineMs / 1000} s` };
    };
    const first = await chooseAccel(image('10.0.2'), { probe, deadlineMs: 1000 });
    expect(first).toMatchObject({ accel: 'tcg', cpu: 'max' });
    expect(first.why).toMatch(/-cpu host: QEMU exited .*MSR; -cpu qemu64: no guest init within 1 s/);
    expect(calls).toEqual(['kvm host', 'kvm qemu64']);
    const again = await chooseAccel(image('10.0.2'), { probe, deadlineMs: 1000 });
    expect(again.accel).toBe('tcg');
    expect(again.why).toMatch(/cached\)$/);
    expect(calls).toHaveLength(2);
    const boots = async (_: LabImage, _a: Accel, cpu: string) => ({
      reached: cpu === 'host',
      ms: 900,
      why: "reached the guest's init in 900 ms",
    });
    const other = await chooseAccel(image('10.1.0'), { probe: boots });
    expect(other).toMatchObject({ accel: 'kvm', cpu: 'host', key: expect.stringMatching(/QEMU 10.1.0$/) });
  });

  /** Steps: set DPDK_HOTPLUG_LAB_ACCEL to tcg, then to a misspelling. Verify: forced; a typed error. */
  it('can be forced, and a wrong name is refused with the nearest one', async () => {
    process.env.DPDK_HOTPLUG_LAB_ACCEL = 'tcg';
    try {
      expect(await chooseAccel(image('x'))).toMatchObject({ accel: 'tcg', why: /forced/ });
      process.env.DPDK_HOTPLUG_LAB_ACCEL = 'KVM';
      const e = await chooseAccel(image('x')).catch((x: unknown) => x);
      expect(isLabError(e, 'INVALID_ARGUMENT')).toBe(true);
      expect((e as Error).message).toMatch(/did you mean kvm\?/);
    } finally {
      delete process.env.DPDK_HOTPLUG_LAB_ACCEL;
    }
  });
});
