import { existsSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { exitCodeOf, type RunSummary, writeSummary } from '@dpdk-hotplug/conformance';
import { isLabError, LabError } from './errors.js';
import type { UserspaceDriver } from './guest/plan.js';
import { DEFAULT_CACHE, prepareLabImage } from './virtual/image.js';
import { NIC_MODELS, type NicModel } from './virtual/machine.js';
import { runVirtualLab, wasSkipped } from './virtual/run.js';

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

const USAGE = `dpdk-hotplug lab — hardware-in-the-loop runs

  lab virtual [--models e1000,e1000e,virtio-net-pci,vmxnet3] [--drivers uio_pci_generic,igb_uio,vfio-pci]
              [--removal clean,surprise] [--cycles N] [--smoke] [--out DIR] [--merge SUMMARY.json]
      hot-plug emulated NICs into QEMU guests and certify DPDK's PCI PMDs on them
      (--smoke: e1000e on uio_pci_generic, clean removal, one cycle)
  lab prepare [--cache DIR]
      install QEMU and busybox, unpack Debian's kernel, build the initramfs (cached)`;

const list = <T extends string>(v: unknown, allowed: readonly string[], what: string): T[] | undefined => {
  if (typeof v !== 'string') return undefined;
  const items = v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = items.filter((i) => !allowed.includes(i));
  if (bad.length)
    throw new LabError('INVALID_ARGUMENT', `unknown ${what}: ${bad.join(', ')}`, {
      hint: `use ${allowed.join(', ')}`,
    });
  return items as T[];
};

/** Adds the lab's DUTs to a conformance summary (replacing those of the same name), JSON and Markdown. */
export function mergeInto(path: string, lab: RunSummary): RunSummary {
  const base: RunSummary = existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : { ...lab, duts: [] };
  const names = new Set(lab.duts.map((d) => d.name));
  const merged: RunSummary = {
    ...base,
    checksPlanned: Math.max(base.checksPlanned, lab.checksPlanned),
    duts: [...base.duts.filter((d) => !names.has(d.name)), ...lab.duts],
  };
  writeSummary(dirname(path), merged);
  return merged;
}

export async function main(
  argv: readonly string[],
  io: CliIo = { out: console.log, err: console.error },
): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        models: { type: 'string' },
        drivers: { type: 'string' },
        removal: { type: 'string' },
        cycles: { type: 'string' },
        smoke: { type: 'boolean' },
        out: { type: 'string' },
        merge: { type: 'string' },
        cache: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    io.err(`${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const [sub] = positionals;
  if (values.help || !sub) {
    (values.help ? io.out : io.err)(USAGE);
    return values.help ? 0 : 2;
  }
  try {
    if (sub === 'prepare') {
      const image = await prepareLabImage(String(values.cache ?? DEFAULT_CACHE));
      io.out(
        values.json
          ? JSON.stringify(image, null, 2)
          : `ready: QEMU ${image.qemuVersion}, kernel ${image.kernelVersion}, ${image.initrd}`,
      );
      return 0;
    }
    if (sub !== 'virtual')
      throw new LabError('INVALID_ARGUMENT', `unknown lab command "${sub}"`, {
        hint: 'use virtual or prepare',
      });
    const smoke = values.smoke === true;
    const cycles = values.cycles === undefined ? (smoke ? 1 : 12) : Number(values.cycles);
    if (!Number.isInteger(cycles) || cycles < 1)
      throw new LabError('INVALID_ARGUMENT', `--cycles must be a whole number ≥ 1`);
    const out = String(values.out ?? 'reports/lab');
    const started = Date.now();
    const summary = await runVirtualLab({
      models:
        list<NicModel>(values.models, Object.keys(NIC_MODELS), 'NIC model') ??
        (smoke ? ['e1000e'] : undefined),
      drivers:
        list<UserspaceDriver>(values.drivers, ['uio_pci_generic', 'vfio-pci', 'igb_uio'], 'driver') ??
        (smoke ? ['uio_pci_generic'] : undefined),
      removals:
        list<'clean' | 'surprise'>(values.removal, ['clean', 'surprise'], 'removal') ??
        (smoke ? ['clean'] : undefined),
      cycles,
      outDir: out,
      ...(values.cache ? { cacheDir: String(values.cache) } : {}),
      onProgress: (l) => io.err(l),
    });
    writeSummary(out, summary);
    if (values.merge) mergeInto(String(values.merge), summary);
    const secs = ((Date.now() - started) / 1000).toFixed(0);
    if (values.json) io.out(JSON.stringify(summary, null, 2));
    else {
      for (const d of summary.duts) {
        io.out(`${d.verdict.padEnd(11)} ${d.name}${wasSkipped(d) ? ` (not run: ${d.pci?.skipped})` : ''}`);
      }
      io.out(`${summary.duts.length} DUTs in ${secs} s; reports in ${out}/summary.{json,md}`);
    }
    return exitCodeOf(summary.duts);
  } catch (e) {
    if (!isLabError(e)) throw e;
    io.err(`dpdk-hotplug lab: ${e.message} [${e.code}]`);
    return e.code === 'INVALID_ARGUMENT' ? 2 : 1;
  }
}
