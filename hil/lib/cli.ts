import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  type CliIo,
  consoleIo,
  integer,
  names,
  nonEmpty,
  notRootFolder,
  oneOf,
  outputFolder,
  parseCommandLine,
  readJsonFile,
  reportUsageError,
  runCommand,
  UsageError,
} from '@dpdk-hotplug/args';
// Only what needs no DPDK is imported here: `lab runners` and `lab merge` run on CI machines
// without one (hil/lib/runner/no-dpdk.test.ts). The SDK's parts come in with their command.
import {
  ExpectationsError,
  exitCodeOf,
  InventoryError,
  type RunSummary,
  readInventory,
  writeSummary,
} from '@dpdk-hotplug/conformance/reports';
import type { UserspaceDriver } from '@dpdk-hotplug/linux';
import { isLabError } from './errors.js';
import { labMerge, mergedExitCode, mergeLines } from './runner/merge.js';
import { NIC_MODELS, type NicModel } from './virtual/machine.js';

export type { CliIo } from '@dpdk-hotplug/args';

const USAGE = `dpdk-hotplug lab — hardware-in-the-loop runs

  lab virtual [--models e1000,e1000e,igb,igbvf,virtio-net-pci,vmxnet3] [--drivers uio_pci_generic,igb_uio,vfio-pci]
              [--removal clean,surprise] [--cycles N] [--smoke] [--out DIR] [--merge SUMMARY.json]
              [--no-retry-stalled]
      hot-plug emulated NICs into QEMU guests and certify DPDK's PCI PMDs on them
      (--smoke: e1000e on uio_pci_generic, clean removal, one cycle)
  lab virtual --inventory FILE [--runner A,B] [--cycles N] [--expect FILE|auto] [--out DIR]
              [--no-retry-stalled]
      each runner of the inventory a QEMU guest running lab run (side by side), then lab merge
      into DIR/merged; each runner's folder in DIR/NAME. Exit code: lab merge's
  lab virtual: a guest that stalls (or whose QEMU ends) before lab run ends has the DUTs it did
      not finish run again, once, in a fresh guest of its runner (a DUT with every check's result
      or with a FAIL is kept; the one it stalled in runs last); the runner's folder then holds
      attempts/1 and attempts/2, combined,
      and the reports say which attempt each verdict is from. --no-retry-stalled: not again (the
      unfinished DUTs INCONCLUSIVE, not run). A second guest that stalls too gets no third.
  lab prepare --inventory FILE --runner NAME [--fix | --restore] [--dry-run]
      check what the runner needs for its DUTs (DPDK, modules, hugepages, IOMMU/VFIO, each NIC
      present with its model's ids, not used by the machine, bound or free to bind, peers up);
      --fix does what is missing (never touching a NIC the machine uses); --dry-run only lists it.
      Exit 1 when a DUT cannot run. --restore: give each of the runner's NICs that --fix bound
      back to its kernel driver (run it after lab run, whatever happened); exit 1 if one failed.
  lab run --inventory FILE --runner NAME --out DIR [--expect FILE|auto] [--only NAMES] [--shard I/N]
          [--cycles N] [--budget S] [--workers N] [--devargs-budget MB] [--sysfs DIR]
      certify the runner's DUTs through the conformance suite into DIR/certify (summary, JUnit,
      HTML, a Playwright blob report) with DIR/runner.json (machine facts, the DUTs planned, each
      DUT's own expectations, what its --expect read); --only: those DUTs of the runner; --shard:
      the I-th of N slices of its vdev DUTs, for N identical machines. PCI DUTs with a removal
      (slot-power, sysfs-remove, qemu) run the PCI checks 101-112, one DUT at a time;
      --devargs-budget and --sysfs: certify's (DPDK_HOTPLUG_DEVARGS_BUDGET_MB, DPDK_HOTPLUG_SYSFS)
  lab merge DIR... --out DIR [--expect FILE|auto]
      one certification over every runner's folder (summary.json/.md, certificate.html with each
      runner's machine, junit.xml; DUTs an interrupted runner did not reach are INCONCLUSIVE, not
      run) and one HTML report (Playwright's merge-reports of the blob reports). Needs no DPDK.
      Without --expect, each runner's own lab run --expect applies to its DUTs.

  --expect FILE|auto: known findings, as certify's (auto: the file shipped for each runner's
  DPDK); an inventory DUT's own \`expectations\` file applies with or without it. Then the exit
  code is about regressions only: 0 every failure known, 1 a NEW FAIL, 3 none new but a DUT
  INCONCLUSIVE (not run, or the machine's fault), 2 bad usage. junit.xml: a suite per DUT, its
  checks of the class named after it, <failure> only for what the exit code counts.
  lab runners --inventory FILE [--json]
      the inventory's runners, one name a line (--json: a list, for a CI matrix)
  lab image [--cache DIR]
      install QEMU and busybox, unpack Debian's kernel, build the initramfs (cached)

  --cycles: 1 to 1000 in decimal digits (default 12; 1 with --smoke). Lists: known names only.
  Ctrl-C, SIGTERM or SIGHUP: QEMU is quit, unfinished cases are reported as interrupted, the
  reports are written (a second signal ends the lab at once). Killed (SIGKILL), QEMU goes too.
Exit code: 0 every DUT CERTIFIED (with or without warnings), 1 one FAILED, 2 bad usage, 3 none FAILED
but one INCONCLUSIVE (not run, or skipped for what the host lacks, with the reason); with
expectations (above), about regressions only.`;

/** Every option of `lab` (the CI templates' test checks each command they run against it). */
export const OPTIONS = {
  models: { type: 'string' },
  drivers: { type: 'string' },
  removal: { type: 'string' },
  cycles: { type: 'string' },
  smoke: { type: 'boolean' },
  out: { type: 'string' },
  merge: { type: 'string' },
  cache: { type: 'string' },
  'no-retry-stalled': { type: 'boolean' },
  inventory: { type: 'string' },
  runner: { type: 'string' },
  fix: { type: 'boolean' },
  restore: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  shard: { type: 'string' },
  budget: { type: 'string' },
  workers: { type: 'string' },
  json: { type: 'boolean' },
  expect: { type: 'string' },
  only: { type: 'string' },
  // certify's (conformance's DEVARGS_POLICY_OPTIONS), checked where lab run plans its run.
  'devargs-budget': { type: 'string' },
  sysfs: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The options each lab command takes (beyond --json and --help). */
export const FORMS = {
  virtual: [
    'models',
    'drivers',
    'removal',
    'cycles',
    'smoke',
    'out',
    'merge',
    'cache',
    'inventory',
    'runner',
    'expect',
    'no-retry-stalled',
  ],
  prepare: ['inventory', 'runner', 'fix', 'restore', 'dry-run', 'cache'],
  image: ['cache'],
  run: [
    'inventory',
    'runner',
    'out',
    'expect',
    'only',
    'shard',
    'cycles',
    'budget',
    'workers',
    'devargs-budget',
    'sysfs',
  ],
  merge: ['out', 'expect'],
  runners: ['inventory'],
} as const;

/** `lab prepare` prepared the QEMU image before it prepared runners: the old spelling says where it went. */
const IMAGE_MOVED = "the virtual lab's QEMU image is prepared by `lab image [--cache DIR]` now";

const DRIVERS = ['uio_pci_generic', 'vfio-pci', 'igb_uio'] as const;
const REMOVALS = ['clean', 'surprise'] as const;

/** A folder named on the command line, as given: not empty, not the root. */
function folder(option: string, text: string): string {
  notRootFolder(option, text);
  return text;
}

/** The certification summary at `path` (undefined when there is none yet); UsageError when it is not one. */
function readSummary(path: string): RunSummary | undefined {
  if (!existsSync(path)) return undefined;
  const base = readJsonFile('--merge', path) as RunSummary;
  if (!Array.isArray(base?.duts))
    throw new UsageError(`--merge ${path}: not a certification summary (no "duts" list)`);
  return base;
}

/** Adds the lab's DUTs to a conformance summary (replacing those of the same name), JSON and Markdown. */
export function mergeInto(path: string, lab: RunSummary): RunSummary {
  const base = readSummary(path) ?? { ...lab, duts: [] };
  const names = new Set(lab.duts.map((d) => d.name));
  const merged: RunSummary = {
    ...base,
    checksPlanned: Math.max(base.checksPlanned, lab.checksPlanned),
    duts: [...base.duts.filter((d) => !names.has(d.name)), ...lab.duts],
  };
  writeSummary(dirname(path), merged);
  return merged;
}

export async function main(argv: readonly string[], io: CliIo = consoleIo()): Promise<number> {
  const json = argv.includes('--json');
  return runCommand(
    'lab',
    io,
    json,
    () => labCommand(argv, io),
    (e) => {
      if (e instanceof InventoryError || e instanceof ExpectationsError)
        return reportUsageError('lab', new UsageError(e.message), io.err, json);
      if (!isLabError(e)) return undefined;
      io.err(`dpdk-hotplug lab: ${e.message} [${e.code}]`);
      return e.code === 'INVALID_ARGUMENT' ? 2 : 1;
    },
  );
}

/**
 * `lab virtual --inventory FILE [--runner A,B] [--cycles N] [--expect X] [--out DIR]`: each
 * runner a QEMU guest running lab run, side by side, then lab merge. Exit: lab merge's.
 */
async function guestRunners(
  values: { [K in keyof typeof OPTIONS]?: string | boolean },
  cache: string | undefined,
  io: CliIo,
): Promise<number> {
  for (const k of ['models', 'drivers', 'removal', 'smoke', 'merge'] as const)
    if (values[k] !== undefined)
      throw new UsageError(`lab virtual --inventory takes its NICs from the inventory, not --${k}`);
  const file = nonEmpty('--inventory', values.inventory as string);
  const known = readInventory(file).runners.map((r) => r.name);
  const runners =
    values.runner === undefined ? undefined : names('--runner', values.runner as string, known, 'runner');
  const cycles =
    values.cycles === undefined
      ? undefined
      : integer('--cycles', values.cycles as string, { min: 1, max: 1000, default: 12 });
  const out = outputFolder('--out', (values.out as string | undefined) ?? 'reports/lab-runners');
  const { runGuestRunners } = await import('./virtual/runners.js');
  let stop = false;
  const onSignal = () => {
    stop = true;
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of signals) process.once(s, onSignal);
  try {
    const r = await runGuestRunners({
      inventory: file,
      ...(runners ? { runners } : {}),
      outDir: out,
      ...(cache ? { cacheDir: cache } : {}),
      ...(values.expect !== undefined ? { expect: nonEmpty('--expect', values.expect as string) } : {}),
      ...(cycles !== undefined ? { cycles } : {}),
      ...(values['no-retry-stalled'] ? { retryStalled: false } : {}),
      onProgress: (l) => io.err(l),
      stopped: () => stop,
    });
    for (const g of r.runners)
      io.out(
        `runner ${g.runner}: ${(g.attempts ?? [g]).map((a) => a.error ?? `lab run exit ${a.exitCode}`).join('; then in a fresh guest: ')}, ${(g.wallMs / 1000).toFixed(0)} s wall, ${g.folder}`,
      );
    if (!r.merged) {
      io.err("dpdk-hotplug lab: no guest wrote a lab run folder; see each runner folder's guest.log");
      return 1;
    }
    for (const line of mergeLines(r.merged, join(out, 'merged'))) io.out(line);
    io.out(`lab merge: ${((r.mergeMs ?? 0) / 1000).toFixed(1)} s`);
    return mergedExitCode(r.merged);
  } finally {
    for (const s of signals) process.off(s, onSignal);
  }
}

async function labCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandLine(argv, OPTIONS);
  if (values.help) {
    io.out(USAGE);
    return 0;
  }
  if (positionals[0] === undefined)
    throw new UsageError('lab needs a command: virtual, prepare, run, merge, runners or image');
  const sub = oneOf('lab', positionals[0], Object.keys(FORMS) as (keyof typeof FORMS)[]);
  const foreign = Object.keys(values).filter((k) => !['json', 'help', ...FORMS[sub]].includes(k));
  if (foreign.length)
    throw new UsageError(`lab ${sub} does not take ${foreign.map((f) => `--${f}`).join(', ')}`);
  if (positionals.length > 1 && sub !== 'merge')
    throw new UsageError(`too many arguments: ${positionals.slice(1).join(' ')}`);
  const cache = values.cache === undefined ? undefined : folder('--cache', values.cache);
  if (sub === 'prepare') {
    if (values.cache !== undefined || values.inventory === undefined)
      throw new UsageError(
        `lab prepare checks a runner: --inventory FILE --runner NAME [--fix] [--dry-run]; ${IMAGE_MOVED}`,
      );
    if (values.runner === undefined) throw new UsageError('lab prepare needs --runner NAME');
    if (values.fix && values.restore)
      throw new UsageError('--fix binds the NICs and --restore gives them back: give one');
    if (values['dry-run'] && !values.fix && !values.restore)
      throw new UsageError('--dry-run lists what --fix would do (or --restore); give one of them too');
    const { prepareCommand, restoreCommand } = await import('./runner/prepare.js');
    if (values.restore)
      return await restoreCommand(
        { inventory: values.inventory, runner: values.runner, dryRun: !!values['dry-run'] },
        io,
        values.json === true,
      );
    return await prepareCommand(
      {
        inventory: values.inventory,
        runner: values.runner,
        fix: !!values.fix,
        dryRun: !!values['dry-run'],
      },
      io,
      values.json === true,
    );
  }
  if (sub === 'run') {
    for (const need of ['inventory', 'runner', 'out'] as const)
      if (values[need] === undefined) throw new UsageError(`lab run needs --${need}`);
    const { labRun } = await import('./runner/run.js');
    return await labRun({
      inventory: nonEmpty('--inventory', values.inventory!),
      runner: nonEmpty('--runner', values.runner!),
      out: folder('--out', values.out!),
      ...(values.shard !== undefined ? { shard: values.shard } : {}),
      ...(values.expect !== undefined ? { expect: nonEmpty('--expect', values.expect) } : {}),
      ...(values.only !== undefined ? { only: values.only } : {}),
      ...(values.cycles !== undefined ? { cycles: values.cycles } : {}),
      ...(values.budget !== undefined ? { budget: values.budget } : {}),
      ...(values.workers !== undefined ? { workers: values.workers } : {}),
      ...(values['devargs-budget'] !== undefined ? { devargsBudget: values['devargs-budget'] } : {}),
      ...(values.sysfs !== undefined ? { sysfs: values.sysfs } : {}),
    });
  }
  if (sub === 'merge') {
    if (values.out === undefined) throw new UsageError('lab merge needs --out DIR');
    const out = folder('--out', values.out);
    const expect = values.expect === undefined ? undefined : nonEmpty('--expect', values.expect);
    const result = await labMerge(positionals.slice(1), out, expect);
    if (values.json) io.out(JSON.stringify(result.summary, null, 2));
    else for (const line of mergeLines(result, out)) io.out(line);
    if (result.playwright && result.playwright.code !== 0)
      io.err(`dpdk-hotplug lab: Playwright's merge-reports exited with ${result.playwright.code}`);
    return mergedExitCode(result);
  }
  if (sub === 'runners') {
    if (values.inventory === undefined) throw new UsageError('lab runners needs --inventory FILE');
    const names = readInventory(values.inventory).runners.map((r) => r.name);
    if (values.json) io.out(JSON.stringify(names));
    else for (const n of names) io.out(n);
    return 0;
  }
  const { DEFAULT_CACHE, prepareLabImage } = await import('./virtual/image.js');
  if (sub === 'image') {
    const image = await prepareLabImage(cache ?? DEFAULT_CACHE);
    io.out(
      values.json
        ? JSON.stringify(image, null, 2)
        : `ready: QEMU ${image.qemuVersion}, kernel ${image.kernelVersion}, ${image.initrd}`,
    );
    return 0;
  }
  if (values.inventory !== undefined) return await guestRunners(values, cache, io);
  for (const only of ['runner', 'expect'] as const)
    if (values[only] !== undefined)
      throw new UsageError(`lab virtual takes --${only} with --inventory (its guests as lab runners)`);
  const smoke = values.smoke === true;
  const cycles = integer('--cycles', values.cycles, { min: 1, max: 1000, default: smoke ? 1 : 12 });
  const merge = values.merge === undefined ? undefined : nonEmpty('--merge', values.merge);
  if (merge) readSummary(merge); // refused now, not after the run
  const list = <T extends string>(
    v: string | undefined,
    known: readonly T[],
    option: string,
    what: string,
  ) => (v === undefined ? undefined : names(option, v, known, what));
  const models = list(values.models, Object.keys(NIC_MODELS) as NicModel[], '--models', 'NIC model');
  const drivers = list<UserspaceDriver>(values.drivers, DRIVERS, '--drivers', 'driver');
  const removals = list(values.removal, REMOVALS, '--removal', 'removal');
  const out = outputFolder('--out', values.out ?? 'reports/lab'); // made last: all else is valid
  const started = Date.now();
  const { runVirtualLab, virtualLines } = await import('./virtual/run.js');
  const summary = await runVirtualLab({
    models: models ?? (smoke ? ['e1000e'] : undefined),
    drivers: drivers ?? (smoke ? ['uio_pci_generic'] : undefined),
    removals: removals ?? (smoke ? ['clean'] : undefined),
    cycles,
    outDir: out,
    ...(cache ? { cacheDir: cache } : {}),
    ...(values['no-retry-stalled'] ? { retryStalled: false } : {}),
    onProgress: (l) => io.err(l),
  });
  writeSummary(out, summary);
  if (merge) mergeInto(merge, summary);
  const secs = ((Date.now() - started) / 1000).toFixed(0);
  if (values.json) io.out(JSON.stringify(summary, null, 2));
  else {
    for (const line of virtualLines(summary)) io.out(line);
    io.out(`${summary.duts.length} DUTs in ${secs} s; reports in ${out}/summary.{json,md}`);
  }
  return exitCodeOf(summary.duts);
}
