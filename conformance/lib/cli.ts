import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  integer,
  isUsageError,
  names,
  nonEmpty,
  notRootFolder,
  parseCommandLine,
  reportUsageError,
  UsageError,
} from '@dpdk-hotplug/args';
import { DEVARGS_PATHS_ENV, DPDK_ENV, findDpdk, isHotplugError } from '@dpdk-hotplug/ethdev';
import { createHost } from '@dpdk-hotplug/linux';
import { DEFAULT_DUTS } from './default-duts.js';
import { type Dut, DutError, dutFromDevargs } from './dut.js';
import { refuseUnknownDuts } from './dut-exists.js';
import { ExpectationsError, expectedFindings, judgeAgainst, ownExpectations } from './expectations.js';
import {
  blobName,
  dutsFromInventory,
  InventoryError,
  parseShard,
  readInventory,
  shardOf,
} from './inventory.js';
import { writeJunit } from './junit.js';
import { ledgerOf } from './ledger.js';
import { readDriver, withDriver } from './oot-drivers.js';
import { PARENT_PIPE_ENV, stopRunNow, watchParent } from './parent-watch.js';
import type { LabModule } from './pci-lab.js';
import { claimReportFolder, REPORT_MARKER } from './report-folder.js';
import { DRIVERS_ENV } from './run-drivers.js';
import { type Runner, unpreparedDuts } from './runner-prepare.js';
import { DEFAULT_SETTINGS } from './settings.js';
import { exitCodeOf, type RunSummary, writeSummary } from './summary.js';
import { notRunDut } from './verdict.js';

/** The ranges of the numeric options, as --help states them. */
export const LIMITS = {
  cycles: { min: 1, max: 1_000_000, default: DEFAULT_SETTINGS.cycles },
  budget: { min: 1, max: 86_400, default: DEFAULT_SETTINGS.budgetMs / 1000 },
  workers: { min: 1, max: 64 },
} as const;

const USAGE = `Usage: dpdk-hotplug certify [options]

Certifies that PMDs attach, detach and attach again, cleanly, every time.
With no --dut and no --inventory: every default vdev DUT (see conformance/README.md).

  --dut DEVARGS        a device under test: a vdev string or a PCI address bound beforehand (repeatable)
  --traffic MODE       what traffic the --dut devices can show: loopback, source-sink, tx-only, none
                       (judged on hotplug alone), or peer=IFACE (a host interface receives what they
                       send); default: what the suite knows of the PMD (lib/traffic-table.ts)
  --inventory FILE     the DUTs of a lab inventory (YAML or JSON, schema/inventory.schema.json);
                       --runner NAME picks one runner
  --only NAMES         comma-separated DUT names, each known (net_null,net_tap,...)
  --shard I/N          with --runner: the I-th of N slices of the runner's vdev DUTs, for N
                       identical machines (a runner with PCI DUTs is refused: its NICs are in one)
  --blob               also write a Playwright blob report in DIR/blob (dpdk-hotplug lab merge)
  --cycles N           cycles of the repeated-cycles check, 1 to 1000000 (default 1000; given, it
                       overrides each DUT's cap)
  --budget SECONDS     time budget of that check per DUT, 1 to 86400 (default 10)
  --workers N          DUTs certified side by side, 1 to 64 (default: cores + 1)
  --out DIR            reports folder (default ./reports/certify): new, empty, or an earlier
                       report of certify (it has a ${REPORT_MARKER} file); only the files a run
                       writes are replaced; a folder another run is writing to is refused
  --expect FILE        expected findings (JSON, see conformance/README.md): failures become NEW FAIL
                       or KNOWN FAIL, and the exit code is about regressions only (below);
                       \`--expect auto\`: the file shipped for the DPDK in use (22.11, 23.11, 24.11,
                       25.11; another release is refused, never read as clean)
  --dpdk PREFIX        the DPDK installed under PREFIX (a meson install prefix), or an uninstalled
                       meson build folder, instead of pkg-config's libdpdk; the same as
                       DPDK_HOTPLUG_DPDK=PREFIX
  --driver PATH.so     an out-of-tree PMD every EAL of the run loads (-d; repeatable): the drivers
                       it registers (its PMD_INFO_STRING records) may be named by --dut, as a vdev
                       (net_mypmd0) or a PCI address of a device whose ids it claims
  --repro DIR          write a C reproducer per PMD finding into DIR (repro.c, its build command
                       and a README each), linked from the finding in the reports
  --devargs-paths A:B  the only folders the DUTs' devargs may name files and sockets in (pcap
                       files, vhost sockets …), symlinks followed; the labs' own folders under the
                       system's temporary folder are added. Default: anywhere (the DUTs are the
                       operator's). The same as DPDK_HOTPLUG_DEVARGS_PATHS=A:B
  -h, --help           this text

Numbers are decimal digits. Ctrl-C, SIGTERM or SIGHUP stops the run (a second one, or 10 s
without an end, at once); the reports keep what was done. Killed outright (SIGKILL), certify
takes the whole run with it within 3 s; so does the death of a launcher that gives certify a
pipe as stdin and DPDK_HOTPLUG_PARENT_PIPE=1 (as npm run certify does).
Exit code: 0 when every DUT is CERTIFIED (with or without warnings), 1 when one FAILED, 2 on bad
usage, 3 when none FAILED but one is INCONCLUSIVE (it could not be judged here).
With --expect, or an inventory DUT's own \`expectations\` file: 0 when every failure is known,
1 on a NEW FAIL, 3 when nothing regressed but a DUT is INCONCLUSIVE, 2 on bad usage.
junit.xml: a test suite per DUT, its checks as test cases of the class named after it; failures
are what the exit code counts (a required check the PMD failed; with expectations, NEW FAILs).`;

const OPTIONS = {
  dut: { type: 'string', multiple: true },
  inventory: { type: 'string' },
  runner: { type: 'string' },
  only: { type: 'string' },
  shard: { type: 'string' },
  blob: { type: 'boolean' },
  cycles: { type: 'string' },
  budget: { type: 'string' },
  workers: { type: 'string' },
  out: { type: 'string' },
  expect: { type: 'string' },
  dpdk: { type: 'string' },
  driver: { type: 'string', multiple: true },
  'devargs-paths': { type: 'string' },
  traffic: { type: 'string' },
  repro: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The run's plan from the command line; throws UsageError or DutError. */
export function planFromArgs(argv: string[], cwd = process.cwd()) {
  const { values, positionals } = parseCommandLine(argv, OPTIONS);
  if (values.help) return undefined;
  if (positionals[0] !== 'certify' || positionals.length > 1)
    throw new UsageError('the command is `certify`');
  if (values.traffic !== undefined && values.dut === undefined)
    throw new UsageError('--traffic says what the --dut devices can show; give --dut too');
  // Read before any DUT: what each .so registers is what --dut may name.
  const drivers = (values.driver ?? []).map((p) =>
    readDriver(nonEmpty('--driver', p), '--driver', cwd, values.dpdk),
  );
  let duts: Dut[] = (values.dut ?? []).map((d) => dutFromDevargs(d, values.traffic));
  if (values.runner !== undefined && values.inventory === undefined)
    throw new UsageError('--runner picks a runner of an --inventory file; give the --inventory too');
  let inventory: { file: string; runners: Runner[] } | undefined;
  if (values.shard !== undefined && values.runner === undefined)
    throw new UsageError('--shard splits the vdev DUTs of one --runner; give --inventory and --runner too');
  const shard = values.shard === undefined ? undefined : parseShard(values.shard);
  if (values.inventory !== undefined) {
    const read = readInventory(values.inventory);
    const runner = values.runner === undefined ? undefined : nonEmpty('--runner', values.runner);
    duts.push(...shardOf(dutsFromInventory(read, runner), shard));
    inventory = { file: values.inventory, runners: read.runners.filter((r) => !runner || r.name === runner) };
  }
  if (duts.length === 0) duts = [...DEFAULT_DUTS];
  // An inventory DUT's pmdFile must register a driver too (before anything runs).
  for (const d of duts) if (d.driver) readDriver(d.driver, `DUT ${d.name}: pmdFile`, cwd, values.dpdk);
  duts = duts.map((d) => withDriver(d, drivers));
  if (values.only !== undefined) {
    const wanted = names(
      '--only',
      values.only,
      duts.map((d) => d.name),
      'DUT named',
    );
    duts = duts.filter((d) => wanted.includes(d.name));
  }
  const seen = new Set<string>();
  for (const d of duts) {
    if (seen.has(d.name)) throw new UsageError(`two DUTs are named ${d.name}`);
    seen.add(d.name);
  }
  // The DPDK to certify with: checked here (one line naming the path when wrong); the workers
  // inherit it through DPDK_HOTPLUG_DPDK.
  const dpdk = dpdkInUse(values.dpdk === undefined ? undefined : nonEmpty('--dpdk', values.dpdk));
  // Known findings: --expect's file (auto: the one shipped for this DPDK) and each inventory
  // DUT's own `expectations` file; with either, the exit code is about regressions only.
  const expect = expectedFindings(
    values.expect === undefined ? undefined : nonEmpty('--expect', values.expect),
    [dpdk.version],
    ownExpectations(duts),
  );
  const out = notRootFolder('--out', values.out ?? join('reports', 'certify'), cwd);
  return {
    duts,
    settings: {
      cycles: integer('--cycles', values.cycles, LIMITS.cycles),
      budgetMs: integer('--budget', values.budget, LIMITS.budget) * 1000,
      forceCycles: values.cycles !== undefined,
    },
    // One more worker than cores: kernel-backed DUTs wait on the kernel (netdevs, sockets) as
    // much as they compute; measured 55 s instead of 64 s for the default run on 2 cores.
    workers: integer('--workers', values.workers, {
      ...LIMITS.workers,
      default: Math.min(LIMITS.workers.max, availableParallelism() + 1),
    }),
    out,
    dpdk: {
      version: dpdk.version,
      prefix: dpdk.prefix,
      libdir: dpdk.libdir,
      given: values.dpdk !== undefined,
    },
    // Every out-of-tree PMD of the run: the --driver files and the inventory DUTs' pmdFile.
    drivers: [
      ...new Set([...drivers.map((d) => d.file), ...duts.flatMap((d) => (d.driver ? [d.driver] : []))]),
    ],
    ...(values['devargs-paths'] !== undefined ? { devargsPaths: devargsPaths(values['devargs-paths']) } : {}),
    ...(values.blob ? { blob: blobName(values.runner, shard) } : {}),
    ...(values.repro !== undefined
      ? {
          repro: {
            dir: resolve(cwd, nonEmpty('--repro', values.repro)),
            command: `dpdk-hotplug ${argv.join(' ')}`,
          },
        }
      : {}),
    ...(inventory ? { inventory } : {}),
    // Checked against the PMDs of the DPDK in use before anything runs; with the .so's names.
    dutArgs: values.dut ?? [],
    driverNames: drivers.flatMap((d) => d.names),
    ...(expect ? { expect } : {}),
  };
}

/**
 * --devargs-paths A:B: the folders the DUTs' devargs may name files and sockets in (the SDK's
 * devargsPaths), existing absolute folders. The labs' own private folders (under the system's
 * temporary folder) are added: the suite makes its files and sockets there.
 */
function devargsPaths(value: string): string[] {
  const paths = nonEmpty('--devargs-paths', value)
    .split(':')
    .filter((p) => p !== '');
  for (const p of paths) {
    if (!isAbsolute(p)) throw new UsageError(`--devargs-paths: ${p} is not an absolute path`);
    if (!existsSync(p) || !statSync(p).isDirectory())
      throw new UsageError(`--devargs-paths: ${p} is not a folder`);
  }
  return [...paths, tmpdir()];
}

/** The DPDK given by --dpdk, else DPDK_HOTPLUG_DPDK, else pkg-config's; UsageError when unusable. */
function dpdkInUse(prefix: string | undefined) {
  const given = prefix ?? process.env[DPDK_ENV];
  try {
    return findDpdk(given, given === undefined ? 'pkg-config' : 'env');
  } catch (e) {
    if (isHotplugError(e)) throw new UsageError(`${prefix !== undefined ? '--dpdk: ' : ''}${e.message}`);
    throw e;
  }
}

const version = (): string =>
  (createRequire(import.meta.url)('../package.json') as { version: string }).version;

/**
 * Runs the suite for the plan; resolves with the exit code. `pciLab`: the lab whose DUTs with
 * a `pci.unplug` run the PCI checks (a caller's, e.g. `lab run`'s runner lab: the suite cannot
 * import the lab's package).
 */
export async function certify(argv: string[], options: { pciLab?: LabModule } = {}): Promise<number> {
  let plan: ReturnType<typeof planFromArgs>;
  let folder: ReturnType<typeof claimReportFolder>;
  try {
    plan = planFromArgs(argv);
    if (!plan) {
      console.log(USAGE);
      return 0;
    }
    await refuseUnknownDuts(plan.dutArgs, { dpdk: plan.dpdk, extraNames: plan.driverNames });
    folder = claimReportFolder(plan.out, version());
  } catch (e) {
    if (e instanceof DutError || e instanceof ExpectationsError || e instanceof InventoryError)
      return reportUsageError('certify', new UsageError(e.message), console.error);
    if (isUsageError(e)) return reportUsageError('certify', e, console.error);
    throw e;
  }
  process.once('exit', folder.release);
  // The suite's processes (runner, workers, their children) load the DPDK --dpdk gave.
  if (plan.dpdk.given) {
    process.env[DPDK_ENV] = plan.dpdk.prefix;
    // That DPDK's testpmd (checks 16 and 17), not the one of the system's DPDK on PATH. An
    // installed one finds its libraries by soname: that DPDK's libdir first, for the whole run
    // (the SDK's own processes load the same libraries by path already).
    const own = ['bin', 'app']
      .map((d) => join(plan.dpdk.prefix, d))
      .find((d) => existsSync(join(d, 'dpdk-testpmd')));
    if (own) process.env.PATH = `${own}:${process.env.PATH ?? ''}`;
    if (own?.endsWith('/bin'))
      process.env.LD_LIBRARY_PATH = [plan.dpdk.libdir, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':');
  }
  if (plan.drivers.length) process.env[DRIVERS_ENV] = plan.drivers.join(':');
  // And the folders their devargs may use (the SDK reads it where Eal.init is given none).
  if (plan.devargsPaths) process.env[DEVARGS_PATHS_ENV] = plan.devargsPaths.join(':');
  // Inventory DUTs their runner is not prepared for are not run: INCONCLUSIVE, saying why.
  const unprepared = plan.inventory
    ? (
        await unpreparedDuts(createHost(), plan.inventory.runners, () => findDpdk(), plan.inventory.file)
      ).filter((u) => plan.duts.some((d) => d.name === u.name))
    : [];
  // The PCI checks need a lab that can take the NIC away: lab run names its runner's.
  if (!options.pciLab)
    for (const d of plan.duts)
      if (d.pci?.unplug && !unprepared.some((u) => u.name === d.name))
        unprepared.push(
          notRunDut(
            {
              name: d.name,
              pmd: d.pmd,
              devargs: d.devargs,
              pci: d.pci,
              ...(d.runner ? { runner: d.runner } : {}),
              dpdkVersion: `DPDK ${plan.dpdk.version}`,
              planned: [],
            },
            `its PCI checks (removal ${d.pci.removal ?? 'by the lab'}) need the runner's lab: certify it with dpdk-hotplug lab run --inventory ${plan.inventory?.file ?? 'FILE'} --runner ${d.runner ?? 'NAME'}`,
          ),
        );
  const toRun = plan.duts.filter((d) => !unprepared.some((u) => u.name === d.name));
  const planFile = join(plan.out, 'plan.json');
  // The command line goes into the plan, and from there into the certificate.
  const {
    inventory: _inventory,
    dutArgs: _dutArgs,
    driverNames: _driverNames,
    ...written
  } = {
    ...plan,
    duts: toRun,
    command: ['dpdk-hotplug', ...argv],
    ...(options.pciLab ? { pciLab: options.pciLab } : {}),
  };
  writeFileSync(planFile, JSON.stringify(written, null, 2));
  for (const u of unprepared)
    console.log(`not run: ${u.name}: ${u.verdictReasons![0]!.replace(/^not run: /, '')}`);
  const here = dirname(fileURLToPath(import.meta.url));
  // The compiled config (see playwright.config.ts): Playwright compiles no TypeScript in node_modules.
  const config = join(here, '..', 'playwright.config.js');
  const playwright = createRequire(import.meta.url).resolve('@playwright/test/cli');
  const code =
    toRun.length === 0 ? 0 : await runSuite(planFile, config, playwright, toRun, plan.dpdk, plan.out);
  folder.release();
  const summaryFile = join(plan.out, 'summary.json');
  if (unprepared.length) {
    const now = new Date().toISOString();
    const run: RunSummary = existsSync(summaryFile)
      ? (JSON.parse(readFileSync(summaryFile, 'utf8')) as RunSummary)
      : { startedAt: now, finishedAt: now, status: 'passed', checksPlanned: 0, duts: [] };
    writeSummary(plan.out, { ...run, duts: [...run.duts, ...unprepared] });
  }
  if (!existsSync(summaryFile)) {
    console.error('dpdk-hotplug: the suite wrote no summary; see the output above');
    return code || 1;
  }
  const summary = JSON.parse(readFileSync(summaryFile, 'utf8')) as RunSummary;
  console.log('\nverdicts:');
  for (const d of summary.duts) {
    console.log(`  ${d.verdict.padEnd(23)} ${d.name}`);
    for (const why of d.verdictReasons ?? []) console.log(`      ${why.split('\n')[0]!.slice(0, 160)}`);
  }
  for (const f of summary.coreFindings ?? [])
    console.log(`  DPDK core finding (${f.dpdkVersion}), check ${f.check}: ${f.reason} — ${f.evidence}`);
  console.log(
    `\ncertificate: ${join(plan.out, 'certificate.html')}\nreports: summary.md, summary.json, junit.xml, results.json, html/index.html`,
  );
  if (plan.repro) console.log(`reproducers: ${join(plan.repro.dir, 'README.md')}`);
  if (!plan.expect) {
    writeJunit(plan.out, summary);
    return exitCodeOf(summary.duts);
  }
  const judged = judgeAgainst(plan.out, summary, plan.expect);
  console.log(`\n${judged.lines.join('\n')}`);
  return judged.code;
}

/** Runs Playwright on the plan file; resolves with its exit code. */
/** How long a run may take to stop gracefully after a signal before its group is killed. */
const FORCE_STOP_MS = 10_000;

function runSuite(
  planFile: string,
  config: string,
  playwright: string,
  duts: readonly Dut[],
  dpdk: { version: string; prefix: string },
  out: string,
): Promise<number> {
  console.log(
    `certifying ${duts.length} DUT(s) with DPDK ${dpdk.version} (${dpdk.prefix}): ${duts.map((d) => d.name).join(', ')}`,
  );
  return new Promise<number>((done) => {
    // Playwright runs in a process group of its own, so that a signal reaches all of it (runner,
    // workers, their children) through this process: SIGINT, SIGTERM and SIGHUP are forwarded to
    // the group as SIGINT, the one signal Playwright's runner stops on gracefully (it finishes the
    // reports and its global teardown gives back hugepages and mounts; a second one stops it at
    // once). Its stdin is a pipe from here: if this process dies, even by SIGKILL, the pipe
    // closes and the runner stops its group (lib/parent-watch.ts).
    // Started by a launcher that passes a pipe (npm run certify): its death stops the run too.
    watchParent(() => {
      console.error('the command that started dpdk-hotplug certify is gone: stopping the run');
      process.exit(1);
    });
    const child = spawn(process.execPath, [playwright, 'test', '-c', config], {
      stdio: ['pipe', 'inherit', 'inherit'],
      detached: true,
      env: { ...process.env, DPDK_HOTPLUG_PLAN: planFile, [PARENT_PIPE_ENV]: '1' },
    });
    // The first signal asks Playwright to stop (reports, teardown); a second one, or a run still
    // going FORCE_STOP_MS later (a worker that missed the SIGINT), stops its group at once.
    let force: NodeJS.Timeout | undefined;
    const stopNow = () => {
      if (child.pid !== undefined && child.exitCode === null) stopRunNow(child.pid, ledgerOf(out));
    };
    const forward = () => {
      if (force) return stopNow();
      force = setTimeout(stopNow, FORCE_STOP_MS);
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGINT');
      } catch {}
    };
    const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
    for (const s of signals) process.on(s, forward);
    child.on('exit', (c, signal) => {
      clearTimeout(force);
      for (const s of signals) process.off(s, forward);
      child.stdin?.destroy();
      done(c ?? (signal ? 1 : 0));
    });
  });
}
