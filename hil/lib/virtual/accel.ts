import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stripVTControlCharacters } from 'node:util';
import { LabError } from '../errors.js';
import { guardChild } from './guard.js';
import { type LabImage, PROBE_REACHED } from './image.js';

export type Accel = 'kvm' | 'tcg';

/** Which accelerator the lab's guests run on, and why (in the lab's report). */
export interface AccelChoice {
  accel: Accel;
  /** The CPU model for `-cpu`: under KVM the first the probe booted with. */
  cpu: string;
  why: string;
  /** Host kernel and QEMU version the choice holds for (the cache's key). */
  key: string;
  /** How long the probe boot took to reach the guest's init (KVM chosen), or its deadline. */
  probeMs?: number;
  probedAt?: string;
}

/** A boot with `accel` that must reach the guest's init (`PROBE_REACHED` on its console) in time. */
export async function probeBoot(
  image: LabImage,
  accel: Accel,
  cpu: string,
  deadlineMs: number,
): Promise<{ reached: boolean; ms: number; why: string }> {
  const dir = join(image.cacheDir, 'runs', `probe-${accel}-${cpu}-${Date.now()}-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const consoleLog = join(dir, 'console.log');
  const args = [
    ...['-machine', `q35,accel=${accel}`, '-cpu', cpu],
    ...['-m', '512M', '-smp', '1', '-nodefaults', '-nographic', '-no-reboot'],
    ...['-kernel', image.kernel, '-initrd', image.initrd],
    // Not quiet: a hang names the kernel's last message (e.g. "Probing EDD").
    ...['-append', 'console=ttyS0 panic=-1 no_timer_check dphp.probe=1'],
    ...['-serial', `file:${consoleLog}`],
  ];
  const started = Date.now();
  const child = spawn(image.qemu, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const guard = guardChild(child.pid!, image.qemu);
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let ended = false;
  void exited.then(() => {
    ended = true;
  });
  try {
    while (Date.now() - started < deadlineMs) {
      if (existsSync(consoleLog) && readFileSync(consoleLog, 'utf8').includes(PROBE_REACHED))
        return {
          reached: true,
          ms: Date.now() - started,
          why: `reached the guest's init in ${Date.now() - started} ms`,
        };
      if (ended) {
        const last = stderr.trim().split('\n').at(-1) || 'no message';
        return {
          reached: false,
          ms: Date.now() - started,
          why: `QEMU exited before the guest's init: ${last}`,
        };
      }
      await sleep(100);
    }
    const lastLine = existsSync(consoleLog)
      ? stripVTControlCharacters(readFileSync(consoleLog, 'utf8'))
          .replace(/\r/g, '')
          .trim()
          .split('\n')
          .at(-1)
          ?.trim()
      : undefined;
    return {
      reached: false,
      ms: deadlineMs,
      why: `no guest init within ${deadlineMs / 1000} s${lastLine ? ` (console's last line: "${lastLine}")` : ''}`,
    };
  } finally {
    if (!ended) child.kill('SIGKILL');
    await exited;
    guard.release();
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface ChooseAccelOptions {
  /** The probe boot's deadline (default 20 s: a KVM boot reaches init in a few seconds). */
  deadlineMs?: number;
  /** `kvm` or `tcg` without probing (DPDK_HOTPLUG_LAB_ACCEL); a forced `kvm` is not checked. */
  force?: Accel;
  /** The probe, replaceable in tests. */
  probe?: typeof probeBoot;
}

/** CPU models per accelerator, in the order tried: KVM's first that boots is used. */
const CPU: Record<Accel, string[]> = { kvm: ['host', 'qemu64'], tcg: ['max'] };

const cacheFile = (image: LabImage) => join(image.cacheDir, 'accel.json');

/**
 * KVM when it works here, TCG otherwise: KVM needs /dev/kvm and a probe boot that reaches the
 * guest's init within the deadline (a guest that hangs under KVM, as on a host whose nested
 * virtualisation is broken, falls back to TCG). The answer is cached per host kernel and QEMU
 * version in the image's cache (`accel.json`), so the probe runs once per host set-up.
 */
export async function chooseAccel(image: LabImage, o: ChooseAccelOptions = {}): Promise<AccelChoice> {
  const key = `Linux ${release()}, QEMU ${image.qemuVersion}`;
  const forced = o.force ?? envAccel();
  if (forced)
    return { accel: forced, cpu: CPU[forced][0]!, why: `forced by DPDK_HOTPLUG_LAB_ACCEL=${forced}`, key };
  const tcg = { accel: 'tcg' as const, cpu: CPU.tcg[0]!, key };
  try {
    accessSync('/dev/kvm', constants.R_OK | constants.W_OK);
  } catch {
    return { ...tcg, why: '/dev/kvm is missing or not usable' };
  }
  const cache = readCache(image);
  const known = cache[key];
  if (known) return { ...known, why: `${known.why} (probed ${known.probedAt}, cached)` };
  const deadlineMs = o.deadlineMs ?? 20_000;
  // A CPU model QEMU refuses at once (an MSR the host's KVM will not set) is no verdict on KVM:
  // the next is tried. A boot that hangs is, and ends the probe.
  const tried: string[] = [];
  let choice: AccelChoice | undefined;
  const started = Date.now();
  for (const cpu of CPU.kvm) {
    const r = await (o.probe ?? probeBoot)(image, 'kvm', cpu, deadlineMs);
    tried.push(`-cpu ${cpu}: ${r.why}`);
    if (r.reached) {
      choice = { accel: 'kvm', cpu, key, why: `KVM probe boot ${tried.join('; ')}` };
      break;
    }
    if (r.ms >= deadlineMs) break;
  }
  choice ??= { ...tcg, why: `KVM probe boot: ${tried.join('; ')}` };
  choice.probeMs = Date.now() - started;
  choice.probedAt = new Date().toISOString();
  writeFileSync(cacheFile(image), JSON.stringify({ ...cache, [key]: choice }, null, 2));
  return choice;
}

function envAccel(): Accel | undefined {
  const v = process.env.DPDK_HOTPLUG_LAB_ACCEL;
  if (v === undefined || v === '') return undefined;
  if (v === 'kvm' || v === 'tcg') return v;
  throw new LabError(
    'INVALID_ARGUMENT',
    `DPDK_HOTPLUG_LAB_ACCEL=${JSON.stringify(v)} is not an accelerator`,
    {
      hint: `use kvm or tcg${/kvm/i.test(v) ? ' (did you mean kvm?)' : /tcg/i.test(v) ? ' (did you mean tcg?)' : ''}`,
    },
  );
}

function readCache(image: LabImage): Record<string, AccelChoice> {
  try {
    return JSON.parse(readFileSync(cacheFile(image), 'utf8')) as Record<string, AccelChoice>;
  } catch {
    return {};
  }
}
