import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_DUTS } from './default-duts.js';
import { type Dut, DutError, dutFromDevargs, dutsFromInventory } from './dut.js';
import {
  compare,
  ExpectationsError,
  expectationsMarkdown,
  readExpectations,
  regressionExitCode,
} from './expectations.js';
import { exitCodeOf, type RunSummary } from './summary.js';

const USAGE = `Usage: dpdk-hotplug certify [options]

Certifies that PMDs attach, detach and attach again, cleanly, every time.
With no --dut and no --inventory: every default vdev DUT (see conformance/README.md).

  --dut DEVARGS        a device under test: a vdev string or a PCI address bound beforehand (repeatable)
  --inventory FILE     the DUTs of a lab inventory file (hil/); --runner NAME picks one runner
  --only NAMES         comma-separated default DUT names (net_null,net_tap,...)
  --cycles N           cycles of the repeated-cycles check (default 1000; given, it overrides each DUT's cap)
  --budget SECONDS     time budget of that check per DUT (default 10)
  --workers N          DUTs certified side by side (default: cores + 1)
  --out DIR            reports folder (default ./reports/certify)
  --expect FILE        expected findings (JSON, see conformance/README.md): failures become NEW FAIL or
                       KNOWN FAIL, and the exit code is 1 only for a NEW FAIL
  -h, --help           this text

Exit code: 0 when every DUT is CERTIFIED (with or without warnings), 1 when one FAILED,
2 on bad usage, 3 when none FAILED but one is INCONCLUSIVE (it could not be judged here).
With --expect: 0 when nothing regressed, 1 on a NEW FAIL, 2 on bad usage.`;

class UsageError extends Error {}

function positiveInt(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(`${name} must be a positive integer, got ${JSON.stringify(text)}`);
  return n;
}

/** The run's plan from the command line; throws UsageError or DutError. */
export function planFromArgs(argv: string[], cwd = process.cwd()) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      dut: { type: 'string', multiple: true },
      inventory: { type: 'string' },
      runner: { type: 'string' },
      only: { type: 'string' },
      cycles: { type: 'string' },
      budget: { type: 'string' },
      workers: { type: 'string' },
      out: { type: 'string' },
      expect: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return undefined;
  if (positionals[0] !== 'certify' || positionals.length > 1)
    throw new UsageError('the command is `certify`');
  let duts: Dut[] = (values.dut ?? []).map(dutFromDevargs);
  if (values.inventory)
    duts.push(...dutsFromInventory(JSON.parse(readFileSync(values.inventory, 'utf8')), values.runner));
  if (duts.length === 0) duts = [...DEFAULT_DUTS];
  if (values.only) {
    const wanted = values.only.split(',');
    const unknown = wanted.filter((w) => !duts.some((d) => d.name === w));
    if (unknown.length)
      throw new UsageError(
        `--only: no DUT named ${unknown.join(', ')} (have: ${duts.map((d) => d.name).join(', ')})`,
      );
    duts = duts.filter((d) => wanted.includes(d.name));
  }
  const names = new Set<string>();
  for (const d of duts) {
    if (names.has(d.name)) throw new UsageError(`two DUTs are named ${d.name}`);
    names.add(d.name);
  }
  return {
    duts,
    settings: {
      cycles: positiveInt('--cycles', values.cycles, 1000),
      budgetMs: positiveInt('--budget', values.budget, 10) * 1000,
      forceCycles: values.cycles !== undefined,
    },
    // One more worker than cores: kernel-backed DUTs wait on the kernel (netdevs, sockets) as
    // much as they compute; measured 55 s instead of 64 s for the default run on 2 cores.
    workers: positiveInt('--workers', values.workers, availableParallelism() + 1),
    out: resolve(cwd, values.out ?? join('reports', 'certify')),
    ...(values.expect ? { expect: { file: values.expect, list: readExpectations(values.expect) } } : {}),
  };
}

/** Runs the suite for the plan; resolves with the exit code. */
export async function certify(argv: string[]): Promise<number> {
  let plan: ReturnType<typeof planFromArgs>;
  try {
    plan = planFromArgs(argv);
  } catch (e) {
    if (
      e instanceof UsageError ||
      e instanceof DutError ||
      e instanceof ExpectationsError ||
      (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
    ) {
      console.error(`dpdk-hotplug: ${(e as Error).message}\n\n${USAGE}`);
      return 2;
    }
    throw e;
  }
  if (!plan) {
    console.log(USAGE);
    return 0;
  }
  rmSync(plan.out, { recursive: true, force: true });
  mkdirSync(plan.out, { recursive: true });
  const planFile = join(plan.out, 'plan.json');
  writeFileSync(planFile, JSON.stringify(plan, null, 2));
  const here = dirname(fileURLToPath(import.meta.url));
  const config = join(here, '..', 'playwright.config.ts');
  const playwright = createRequire(import.meta.url).resolve('@playwright/test/cli');
  console.log(`certifying ${plan.duts.length} DUT(s): ${plan.duts.map((d) => d.name).join(', ')}`);
  const code = await new Promise<number>((done) => {
    const child = spawn(process.execPath, [playwright, 'test', '-c', config], {
      stdio: 'inherit',
      env: { ...process.env, DPDK_HOTPLUG_PLAN: planFile },
    });
    // Ctrl-C reaches Playwright too (same process group): it stops and writes what it has.
    child.on('exit', (c, signal) => done(c ?? (signal ? 1 : 0)));
  });
  const summaryFile = join(plan.out, 'summary.json');
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
    `\nreports: ${join(plan.out, 'summary.md')}, summary.json, junit.xml, results.json, html/index.html`,
  );
  if (!plan.expect) return exitCodeOf(summary.duts);
  const results = compare(summary, plan.expect.list);
  writeFileSync(join(plan.out, 'expectations.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(plan.out, 'expectations.md'), expectationsMarkdown(results));
  console.log(`\nagainst ${plan.expect.file}:`);
  for (const r of results.filter((x) => x.outcome === 'NEW FAIL' || x.outcome === 'FIXED'))
    console.log(
      `  ${r.outcome.padEnd(10)} ${r.dut} check ${r.check}${r.reason ? `: ${r.reason.slice(0, 140)}` : ''}`,
    );
  const known = results.filter((r) => r.outcome === 'KNOWN FAIL').length;
  console.log(`  ${known} known failure(s); details in ${join(plan.out, 'expectations.md')}`);
  return regressionExitCode(results);
}
