import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { relative } from 'node:path';
import { canonicalPciAddress } from '@dpdk-hotplug/ethdev';
import { ProbeError } from './errors.js';
import { registeredDriverOf, unknownPmdMessage } from './names.js';
import { driversFor, installedPmdDir, type PmdInfo, scanPmdInfo } from './pmdinfo.js';
import { probeRuntime, type RuntimeOptions, type RuntimeResult } from './runtime/probe.js';
import { type SourceDriver, scanSource } from './source/scan.js';

/** Whether a piece of evidence says the PMD detaches: yes, no, or it cannot tell. */
export type Says = 'detaches' | 'does-not-detach' | 'cannot-tell';

export interface Agreement {
  driver: string;
  source?: Says;
  runtime?: Says;
  /** True when every piece of evidence that can tell says the same. */
  agree: boolean;
  note: string;
}

export interface ProbeReport {
  target: string;
  /** What the target was taken to be. */
  kind: 'source-tree' | 'pmd-file' | 'pmd-name' | 'devargs' | 'pci-device';
  binary?: { drivers: PmdInfo[]; note?: string };
  source?: { era: string; drivers: SourceDriver[] };
  runtime?: RuntimeResult[];
  /** Evidence not gathered, and why (e.g. a PCI PMD's runtime probe needs a bound device). */
  skipped: string[];
  agreement: Agreement[];
}

export interface CombinedOptions {
  /** A DPDK (or PMD) source tree to add source evidence for installed PMDs. */
  source?: string;
  runtime?: RuntimeOptions;
  /** Skip the runtime probe (it attaches the device for real). */
  noRuntime?: boolean;
  /**
   * Out-of-tree PMDs (.so): their records count as installed ones for a name, devargs or PCI
   * target, and the runtime probe loads them (`-d`).
   */
  drivers?: string[];
}

function sourceSays(d: SourceDriver): Says {
  return d.verdict === 'detachable'
    ? 'detaches'
    : d.verdict === 'not-detachable'
      ? 'does-not-detach'
      : 'cannot-tell';
}

function runtimeSays(r: RuntimeResult): Says {
  if (r.verdict === 'detachable' || r.verdict === 'leaks' || r.verdict === 'reattach-failed')
    return 'detaches';
  if (r.verdict === 'attach-failed' || r.verdict === 'lifecycle-failed') return 'cannot-tell';
  return 'does-not-detach';
}

/** `net_null0,size=64` → `net_null`; the legacy `eth_` spelling maps to `net_`. */
export function driverOf(devargs: string): string {
  return devargs.split(',')[0]!.replace(/\d+$/, '').replace(/^eth_/, 'net_');
}

function agreement(report: ProbeReport): Agreement[] {
  const names = new Set<string>([
    ...(report.source?.drivers ?? []).map((d) => d.name),
    ...(report.runtime ?? []).map((r) => driverOf(r.devargs)),
  ]);
  const out: Agreement[] = [];
  for (const name of names) {
    const src = report.source?.drivers.find((d) => d.name === name || d.aliases.includes(name));
    const rt = report.runtime?.find((r) => driverOf(r.devargs) === name);
    const a: Agreement = { driver: name, agree: true, note: '' };
    if (src) a.source = sourceSays(src);
    if (rt) a.runtime = runtimeSays(rt);
    const told = [a.source, a.runtime].filter((s) => s && s !== 'cannot-tell');
    a.agree = new Set(told).size <= 1;
    a.note =
      told.length < 2
        ? `only ${src ? 'source' : 'runtime'} evidence can tell: ${src ? src.reason : rt!.reason}`
        : a.agree
          ? `source and runtime agree: ${a.source}`
          : `conflict: source says ${a.source} (${src!.reason}), runtime says ${rt!.verdict} (${rt!.reason})`;
    out.push(a);
  }
  return out;
}

/**
 * `probe <target>`: a source tree gets the source scan; a PMD file, PMD name, devargs or PCI
 * address gets its binary records and a runtime probe; with `source`, installed PMDs get source
 * evidence too, and the report says where the evidence agrees and where it conflicts.
 */
export async function probe(target: string, options: CombinedOptions = {}): Promise<ProbeReport> {
  const skipped: string[] = [];
  let report: ProbeReport;
  const isDir = existsSync(target) && statSync(target).isDirectory();
  if (isDir) {
    const src = await scanSource(target);
    report = {
      target,
      kind: 'source-tree',
      source: { era: src.era, drivers: src.drivers },
      skipped,
      agreement: [],
    };
    const bin = await scanPmdInfo(target);
    if (bin.drivers.length) report.binary = { drivers: bin.drivers };
    skipped.push('runtime: a source tree is not installed; probe an installed PMD by name to run it');
    report.agreement = agreement(report);
    return report;
  }
  // The installed PMDs are read only for the targets that look them up (a name, devargs, a BDF).
  const extra = options.drivers?.length ? (await scanPmdInfo(options.drivers)).drivers : [];
  const installed = async () => [
    ...((await scanPmdInfo('installed').catch(() => null))?.drivers ?? []),
    ...extra,
  ];
  const runtime: RuntimeOptions = {
    ...options.runtime,
    ...(options.drivers?.length
      ? { drivers: [...new Set([...(options.runtime?.drivers ?? []), ...options.drivers])] }
      : {}),
  };
  const bdf = canonicalPciAddress(target);
  let devargs: string[] = [];
  let binary: PmdInfo[] = [];
  let kind: ProbeReport['kind'];
  if (existsSync(target)) {
    kind = 'pmd-file';
    binary = (await scanPmdInfo(target)).drivers;
    // A PMD file outside the DPDK's PMD folder is loaded by the runtime probe's EAL itself.
    const file = realpathSync(target);
    const pmdDir = await installedPmdDir().catch(() => undefined);
    if (!pmdDir || relative(realpathSync(pmdDir), file).startsWith('..'))
      runtime.drivers = [...(runtime.drivers ?? []), file];
    for (const d of binary) {
      if (d.pci_ids?.length)
        skipped.push(
          `runtime of ${d.name}: a PCI PMD needs a device bound to ${d.kmod ?? 'a userspace driver'}; probe its PCI address`,
        );
      else devargs.push(`${d.name}0`);
    }
  } else if (bdf) {
    kind = 'pci-device';
    const read = (f: string) =>
      readFileSync(`/sys/bus/pci/devices/${bdf}/${f}`, 'utf8').trim().replace(/^0x/, '');
    if (existsSync(`/sys/bus/pci/devices/${bdf}`)) {
      binary = driversFor(await installed(), { vendor: read('vendor'), device: read('device') }).map(
        (m) => m.driver,
      );
    } else skipped.push(`binary: no PCI device ${bdf} in sysfs`);
    devargs = [bdf];
  } else {
    kind = target.includes(',') || /\d$/.test(target) ? 'devargs' : 'pmd-name';
    const all = await installed();
    const known = [...new Set(all.map((d) => d.name))];
    const name = registeredDriverOf(target, known);
    // A name no installed PMD registers is a typo or a missing PMD: said before anything runs.
    if (known.length && !name) throw new ProbeError('NOT_FOUND', unknownPmdMessage(target, known));
    binary = all.filter((d) => d.name === name);
    if (!binary.length) skipped.push(`binary: the installed PMDs could not be read`);
    devargs = [kind === 'devargs' ? target : `${target}0`];
  }
  report = { target, kind, binary: { drivers: binary }, skipped, agreement: [] };
  if (options.noRuntime) skipped.push('runtime: not asked for');
  else report.runtime = await Promise.all(devargs.map((d) => probeRuntime(d, runtime)));
  if (options.source) {
    const src = await scanSource(options.source);
    const names = new Set([...binary.map((d) => d.name), ...devargs.map(driverOf)]);
    report.source = {
      era: src.era,
      drivers: src.drivers.filter((d) => names.has(d.name) || d.aliases.some((a) => names.has(a))),
    };
  }
  report.agreement = agreement(report);
  return report;
}
