/**
 * `certify --bisect GOOD..BAD --dut X --check N --git DIR`: the first commit of a DPDK git
 * history whose outcome of check N for DUT X is BAD's, where GOOD's differs. Each step is a
 * reduced DPDK build (the DUT's drivers only, no app but testpmd when check 16 or 17 needs it;
 * the release matrix's dpdk-build, with ccache) and a certification of the DUT against it.
 * The search is git bisect's over the first-parent history: a step whose outcome is neither
 * GOOD's nor BAD's (its build failed, the check did not run) is skipped, as `git bisect skip`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  consoleIo,
  integer,
  nonEmpty,
  notRootFolder,
  parseCommandLine,
  reportUsageError,
  runCommand,
  UsageError,
} from '@dpdk-hotplug/args';
import { DEFAULT_DUTS } from '../model/default-duts.js';
import { type Dut, DutError, dutFromDevargs } from '../model/dut.js';
import type { RunSummary } from '../model/summary.js';

/** What a step said: the check's status (PASS, FAIL, SKIP…) or why there is none (BUILD FAILED…). */
export interface Outcome {
  outcome: string;
  detail: string;
}

export interface Step extends Outcome {
  commit: string;
  seconds: number;
}

export interface BisectResult {
  good: Step;
  bad: Step;
  /** The first commit with BAD's outcome; undefined when the ends agree or skips hide it. */
  first?: string;
  /** The commits it could be, oldest first, when skipped steps leave more than one. */
  candidates: string[];
  steps: Step[];
}

/** `GOOD..BAD`, each a revision git can read. */
export function parseRange(value: string): { good: string; bad: string } {
  const m = /^(\S+?)\.\.(\S+)$/.exec(value.trim());
  if (!m || value.includes('...') || m[2]!.includes('..'))
    throw new UsageError(
      `--bisect ${JSON.stringify(value)}: give GOOD..BAD (two revisions, e.g. v22.11..v23.11)`,
    );
  return { good: m[1]!, bad: m[2]! };
}

function git(dir: string, args: string[]): string {
  const r = spawnSync('git', [`--git-dir=${dir}`, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0)
    throw new UsageError(`git ${args.join(' ')} in ${dir}: ${(r.stderr ?? '').trim().split('\n')[0]}`);
  return r.stdout.trim();
}

/** The commits after GOOD up to BAD on BAD's first-parent line, oldest first, BAD last. */
export function commitsBetween(
  gitDir: string,
  good: string,
  bad: string,
): { good: string; commits: string[] } {
  const sha = (rev: string) => git(gitDir, ['rev-parse', '--verify', `${rev}^{commit}`]);
  const g = sha(good);
  const b = sha(bad);
  if (spawnSync('git', [`--git-dir=${gitDir}`, 'merge-base', '--is-ancestor', g, b]).status !== 0)
    throw new UsageError(`--bisect: ${good} is not an ancestor of ${bad}`);
  const commits = git(gitDir, ['rev-list', '--first-parent', '--reverse', `${g}..${b}`])
    .split('\n')
    .filter(Boolean);
  if (commits.length === 0) throw new UsageError(`--bisect: no commit between ${good} and ${bad}`);
  return { good: g, commits };
}

/**
 * Binary search over `commits` (oldest first, BAD last) for the first whose outcome is BAD's,
 * asking `outcomeAt` for each step (GOOD and BAD first). Outcomes equal to neither are skipped.
 */
export async function bisect(
  good: string,
  commits: readonly string[],
  outcomeAt: (commit: string) => Promise<Outcome>,
  log: (line: string) => void = () => {},
): Promise<BisectResult> {
  const steps: Step[] = [];
  const at = async (commit: string): Promise<Step> => {
    const t0 = performance.now();
    const o = await outcomeAt(commit);
    const step = { commit, ...o, seconds: Math.round((performance.now() - t0) / 100) / 10 };
    steps.push(step);
    log(
      `${commit.slice(0, 12)}: ${o.outcome} (${o.detail.split('\n')[0]!.slice(0, 160)}; ${step.seconds} s)`,
    );
    return step;
  };
  const goodStep = await at(good);
  const badStep = await at(commits[commits.length - 1]!);
  const result = { good: goodStep, bad: badStep, steps, candidates: [] as string[] };
  if (goodStep.outcome === badStep.outcome) return result;
  // Invariant: commits[lo] (-1: GOOD) has GOOD's outcome, commits[hi] BAD's.
  let lo = -1;
  let hi = commits.length - 1;
  const skipped = new Set<number>();
  while (hi - lo > 1) {
    const untried = [];
    for (let i = lo + 1; i < hi; i++) if (!skipped.has(i)) untried.push(i);
    if (untried.length === 0) break;
    // The untried index nearest the middle, as git bisect picks around a skipped commit.
    const mid = (lo + hi) / 2;
    const m = untried.reduce((a, b) => (Math.abs(b - mid) < Math.abs(a - mid) ? b : a));
    const o = (await at(commits[m]!)).outcome;
    if (o === badStep.outcome) hi = m;
    else if (o === goodStep.outcome) lo = m;
    else skipped.add(m);
  }
  const candidates = commits.slice(lo + 1, hi + 1);
  return candidates.length === 1
    ? { ...result, first: candidates[0]!, candidates }
    : { ...result, candidates };
}

/** The DUT's own driver folder in DPDK's tree (net_tun is in net/tap, virtio_user in net/virtio). */
export function driverOf(dut: Dut): string {
  const folder: Record<string, string> = { net_tun: 'net/tap', net_virtio_user: 'net/virtio' };
  return folder[dut.pmd] ?? `net/${dut.pmd.replace(/^net_/, '')}`;
}

/** The DPDK drivers a DUT needs built: the buses, the ring mempool, net_null (helpers), its PMD's. */
export function driversFor(dut: Dut): string[] {
  const own = driverOf(dut);
  const extra = dut.setup === 'vhost-backend' ? ['net/vhost'] : [];
  return [...new Set(['bus/pci', 'bus/vdev', 'mempool/ring', 'net/null', own, ...extra])];
}

/** The release matrix's build command (tools/matrix), in this repository; undefined outside it. */
export function matrixCli(): string | undefined {
  const cli = resolve(
    dirname(fileURLToPath(import.meta.url)),
    '..',
    '..',
    '..',
    'tools',
    'matrix',
    'cli.mjs',
  );
  return existsSync(cli) ? cli : undefined;
}

export interface StepOptions {
  gitDir: string;
  dut: Dut;
  dutArg: string;
  /** `dutArg` names a default DUT (certify --only), not devargs. */
  byName: boolean;
  traffic?: string;
  check: number;
  out: string;
  certifyCli: string;
}

/**
 * One step: the reduced build of `commit` (cached by dpdk-build), then `certify --dpdk PREFIX
 * --dut X` into `out/<commit>`, and check N's status there.
 */
export function stepOutcome(commit: string, o: StepOptions): Outcome {
  const matrix = matrixCli();
  if (!matrix)
    return { outcome: 'BUILD FAILED', detail: "tools/matrix (the release matrix's dpdk-build) is not here" };
  const apps = o.check === 16 || o.check === 17 ? 'test-pmd' : '';
  const build = spawnSync(
    'nice',
    [
      '-n',
      '10',
      process.execPath,
      matrix,
      'dpdk-build',
      '--tag',
      commit,
      '--git',
      o.gitDir,
      '--drivers',
      driversFor(o.dut).join(','),
      '--apps',
      apps,
      '--json',
    ],
    { encoding: 'utf8', maxBuffer: 1 << 26 },
  );
  if (build.status !== 0)
    return { outcome: 'BUILD FAILED', detail: (build.stderr ?? '').trim().split('\n').slice(-3).join(' | ') };
  const stamp = JSON.parse(build.stdout) as { prefix: string; version: string; seconds: { ninja: number } };
  // A driver whose optional library the reduced build left out (net_vhost needs lib/vhost) is
  // skipped by meson without an error: a step without it says so rather than fail the check.
  const lib = `librte_${driverOf(o.dut).replace('/', '_')}.so`;
  const found = spawnSync('find', [stamp.prefix, '-name', lib], { encoding: 'utf8' }).stdout.trim();
  if (!found)
    return { outcome: 'BUILD FAILED', detail: `DPDK ${stamp.version}: the reduced build has no ${lib}` };
  const out = join(o.out, commit.slice(0, 12));
  mkdirSync(out, { recursive: true });
  const args = ['certify', '--dpdk', stamp.prefix, '--out', out, '--cycles', '20'];
  args.push(...(o.byName ? ['--only', o.dutArg] : ['--dut', o.dutArg]));
  if (o.traffic && !o.byName) args.push('--traffic', o.traffic);
  spawnSync(process.execPath, [o.certifyCli, ...args], { encoding: 'utf8', stdio: 'ignore' });
  const file = join(out, 'summary.json');
  if (!existsSync(file))
    return { outcome: 'NOT RUN', detail: `DPDK ${stamp.version}: certify wrote no summary` };
  const run = JSON.parse(readFileSync(file, 'utf8')) as RunSummary;
  const check = run.duts[0]?.checks.find((c) => c.id === o.check);
  if (!check)
    return { outcome: 'NOT RUN', detail: `DPDK ${stamp.version}: no check ${o.check} in the summary` };
  return {
    outcome: check.status,
    detail: `DPDK ${stamp.version} (ninja ${stamp.seconds.ninja} s): ${check.reason ?? 'passed'}`,
  };
}

const OPTIONS = {
  bisect: { type: 'string' },
  dut: { type: 'string', multiple: true },
  traffic: { type: 'string' },
  check: { type: 'string' },
  git: { type: 'string' },
  out: { type: 'string' },
} as const;

/** The bisection the command line asks for; UsageError (or DutError) when it is wrong. */
export function bisectPlanFromArgs(argv: string[], cwd = process.cwd()) {
  const { values, positionals } = parseCommandLine(argv, OPTIONS);
  if (positionals[0] !== 'certify' || positionals.length > 1)
    throw new UsageError('the command is `certify`');
  const range = parseRange(nonEmpty('--bisect', values.bisect ?? ''));
  if (values.dut?.length !== 1) throw new UsageError('--bisect follows one DUT: give exactly one --dut');
  const dutArg = values.dut[0]!;
  // A default DUT by name (net_af_xdp: its veth, its pool), or devargs as certify --dut takes them.
  const known = DEFAULT_DUTS.find((d) => d.name === dutArg);
  const dut = known ?? dutFromDevargs(dutArg, values.traffic);
  const check = integer('--check', values.check, { min: 1, max: 17 });
  const gitDir = resolve(cwd, nonEmpty('--git', values.git ?? process.env.DPDK_HOTPLUG_DPDK_GIT ?? ''));
  if (!existsSync(join(gitDir, 'HEAD')) && !existsSync(join(gitDir, '.git')))
    throw new UsageError(`--git ${gitDir}: not a git directory (a DPDK clone, or its .git)`);
  const repo = existsSync(join(gitDir, '.git')) ? join(gitDir, '.git') : gitDir;
  const out = notRootFolder('--out', values.out ?? join('reports', 'bisect'), cwd);
  return {
    range,
    dut,
    dutArg,
    byName: known !== undefined,
    traffic: values.traffic,
    check,
    gitDir: repo,
    out,
  };
}

/** `certify --bisect`: prints each step and the first commit; exit 0 found, 1 not, 2 usage. */
export function bisectCommand(argv: string[]): Promise<number> {
  const io = consoleIo();
  // A DUT the command line names wrong is bad usage too (one line, exit 2).
  const dutError = (e: unknown) =>
    e instanceof DutError ? reportUsageError('certify', new UsageError(e.message), io.err) : undefined;
  return runCommand('certify', io, false, () => runBisect(argv), dutError);
}

async function runBisect(argv: string[]): Promise<number> {
  const plan = bisectPlanFromArgs(argv);
  const range = commitsBetween(plan.gitDir, plan.range.good, plan.range.bad);
  mkdirSync(plan.out, { recursive: true });
  const certifyCli = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'certify.mjs');
  console.log(
    `bisecting check ${plan.check} of ${plan.dutArg} over ${range.commits.length} commits (${plan.range.good}..${plan.range.bad}); each step a reduced build (${driversFor(plan.dut).join(', ')}) and a certification`,
  );
  const result = await bisect(
    range.good,
    range.commits,
    async (commit) => stepOutcome(commit, { ...plan, certifyCli }),
    (line) => console.log(`  ${line}`),
  );
  writeFileSync(join(plan.out, 'bisect.json'), `${JSON.stringify({ ...plan, result }, null, 2)}\n`);
  if (result.good.outcome === result.bad.outcome) {
    console.log(`check ${plan.check} is ${result.good.outcome} at both ends: nothing to bisect`);
    return 1;
  }
  if (result.first) {
    const subject = git(plan.gitDir, ['log', '-1', '--format=%h %s (%ad)', '--date=short', result.first]);
    console.log(
      `first commit with check ${plan.check} ${result.bad.outcome} (was ${result.good.outcome}): ${subject}`,
    );
    return 0;
  }
  console.log(
    `skipped steps leave ${result.candidates.length} candidates: ${result.candidates.map((c) => c.slice(0, 12)).join(' ')}`,
  );
  return 3;
}
