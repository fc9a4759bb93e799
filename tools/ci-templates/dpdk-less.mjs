#!/usr/bin/env node
// The CI templates' DPDK-less jobs, run as written, in a Debian 12 root filesystem that has no
// DPDK (issue 24): GitHub's `runners` and `merge` jobs, GitLab's `runners` and `.lab-merge` jobs.
//
//   node tools/ci-templates/dpdk-less.mjs [--out DIR]      (root; default DIR reports/ci-templates)
//
// 1. A bookworm minbase root with git and CA certificates only: no DPDK, no pkg-config, no
//    compiler. The host's Node 20 is copied in, as setup-node (GitHub) or the node:20-bookworm
//    image (GitLab) gives the job one.
// 2. The artifacts the per-runner certify jobs would upload: a real `lab run` of each runner of
//    hil/inventory/vdev-lab.yaml on this host (which has DPDK), `--expect auto`.
// 3. Per template, a fresh clone of HEAD in the root, then each DPDK-less job's shell steps in
//    order (bash -eo pipefail, as both services run them), the artifacts put where
//    download-artifact and GitLab's `needs` put them. A `uses:` step this file does not know
//    fails the run, so a template change cannot slip past unexercised.
// Writes DIR/outcome.json and prints job, exit code and seconds; exit 1 when a job failed or a
// check below did not hold. Uncommitted changes are not in the clone: commit first.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parse } from 'yaml';
import { shq } from '../matrix/lib.mjs';
import { log, prepareRootfs, releaseDirs, removeTree, runInRoot } from '../matrix/rootfs.mjs';

const repo = resolve(import.meta.dirname, '..', '..');
const inventory = 'hil/inventory/vdev-lab.yaml';
export const templates = {
  github: join(repo, 'hil', 'ci', 'lab-certification.yml'),
  gitlab: join(repo, 'hil', 'ci', 'lab-certification.gitlab-ci.yml'),
};

/** The root the DPDK-less jobs run in: Debian 12 with what a CI image has, and no DPDK. */
export const NO_DPDK_ROOT = {
  id: 'ci-no-dpdk',
  suite: 'bookworm',
  folder: 'bookworm-no-dpdk',
  packages: ['ca-certificates', 'git'],
  aptOptions: [],
  readyFile: 'usr/bin/git',
};

/**
 * A DPDK-less job of a template as a list of steps: `{ run }` (a shell text) or `{ uses }`.
 * GitHub: the job's steps; GitLab: its `script` lines. `name` is the job's key in the file.
 */
export function jobSteps(file, name) {
  const doc = parse(readFileSync(file, 'utf8'));
  const job = doc.jobs ? doc.jobs[name] : doc[name];
  if (!job) throw new Error(`${file}: no job ${name}`);
  if (job.steps) return job.steps.map((s) => (s.run ? { run: s.run } : { uses: s.uses }));
  return (job.script ?? []).map((run) => ({ run }));
}

/** The `uses:` steps this runner stands in for: the clone, the copied Node, the artifacts. */
export const KNOWN_USES = /^actions\/(checkout|setup-node|upload-artifact|download-artifact)@/;

/** Where each template's DPDK-less jobs run and what they are given. */
export function plans(artifacts) {
  return [
    {
      template: 'github',
      jobs: ['runners', 'merge'],
      env: { INVENTORY: inventory, EXPECT: 'auto', CI: 'true' },
      // download-artifact with `pattern: lab-run-*` and `path: lab-runs`: one folder per artifact.
      artifactDir: (runner) => `lab-runs/lab-run-${runner}`,
    },
    {
      template: 'gitlab',
      jobs: ['runners', '.lab-merge'],
      env: { INVENTORY: inventory, EXPECT: 'auto', LAB_CI_FILE: '.gitlab-ci.yml', CI: 'true' },
      // Each certify job's artifact is lab-run/<runner>, restored at the same path.
      artifactDir: (runner) => `lab-run/${runner}`,
      artifactsAtStart: '.lab-merge',
    },
  ].map((p) => ({ ...p, artifacts }));
}

/** The host's Node and npm, copied into the root once (or again when the host's changed). */
function installNode(root) {
  const host = process.version;
  const inRoot = join(root, 'usr/local/bin/node');
  const have = existsSync(inRoot)
    ? spawnSync('chroot', [root, '/usr/local/bin/node', '--version'], { encoding: 'utf8' }).stdout.trim()
    : '';
  if (have === host) return;
  log(`ci-no-dpdk: copying the host's Node ${host} and npm into the root`);
  cpSync(process.execPath, inRoot);
  const npmDir = join(root, 'usr/local/lib/node_modules/npm');
  removeTree(npmDir);
  cpSync('/usr/lib/node_modules/npm', npmDir, { recursive: true });
  for (const [bin, target] of [
    ['npm', 'npm-cli.js'],
    ['npx', 'npx-cli.js'],
  ]) {
    const link = join(root, 'usr/local/bin', bin);
    rmSync(link, { force: true });
    symlinkSync(`../lib/node_modules/npm/bin/${target}`, link);
  }
}

/** What says the root has no DPDK: each must print nothing. */
const NO_DPDK_PROBES = [
  'ls /usr/lib/x86_64-linux-gnu | grep -E "^librte_" || true',
  'command -v pkg-config cc gcc dpdk-testpmd || true',
];

/** Runs `lab run` for every runner of the inventory on this host: the certify jobs' artifacts. */
function labRunsOnHost(dir) {
  const bin = join(repo, 'packages', 'dpdk-hotplug', 'bin', 'dpdk-hotplug.mjs');
  const runners = spawnSync(process.execPath, [bin, 'lab', 'runners', '--inventory', inventory], {
    cwd: repo,
    encoding: 'utf8',
  });
  if (runners.status !== 0) throw new Error(`lab runners failed: ${runners.stderr}`);
  const names = runners.stdout.trim().split('\n');
  const results = [];
  for (const runner of names) {
    const out = join(dir, runner);
    removeTree(out);
    const started = Date.now();
    log(`host: lab run --runner ${runner} (the certify job's artifact)`);
    const r = spawnSync(
      process.execPath,
      [bin, 'lab', 'run', '--inventory', inventory, '--runner', runner, '--out', out, '--expect', 'auto'],
      { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 256 * 1024 * 1024 },
    );
    results.push({ runner, folder: out, exitCode: r.status, seconds: (Date.now() - started) / 1000 });
  }
  return results;
}

function restoreArtifacts(plan, clone) {
  for (const a of plan.artifacts)
    cpSync(a.folder, join(clone, plan.artifactDir(a.runner)), { recursive: true });
}

async function runTemplate(plan, rootDirs, head, logFile) {
  const cwd = `/ci/${plan.template}`;
  const clone = join(rootDirs.rootfs, cwd);
  removeTree(clone);
  mkdirSync(join(rootDirs.rootfs, 'ci'), { recursive: true });
  const c = spawnSync('git', ['clone', '--quiet', '--no-hardlinks', repo, clone], { encoding: 'utf8' });
  if (c.status !== 0) throw new Error(`git clone failed: ${c.stderr}`);
  spawnSync('git', ['-C', clone, 'checkout', '--quiet', head]);
  const jobs = [];
  for (const job of plan.jobs) {
    const steps = jobSteps(templates[plan.template], job);
    const started = Date.now();
    let exitCode = 0;
    let failedStep = null;
    // GitLab restores the artifacts of a job's `needs` before its script starts.
    if (plan.artifactsAtStart === job) restoreArtifacts(plan, clone);
    for (const step of steps) {
      if (step.uses) {
        if (step.uses.startsWith('actions/download-artifact@')) restoreArtifacts(plan, clone);
        else if (!/^actions\/(checkout|setup-node|upload-artifact)@/.test(step.uses)) {
          throw new Error(`${plan.template} ${job}: a step this runner does not know: uses ${step.uses}`);
        }
        continue;
      }
      const env = {
        ...plan.env,
        GITHUB_OUTPUT: `${cwd}/.github-output`,
        GITHUB_STEP_SUMMARY: `${cwd}/.github-step-summary`,
        npm_config_prefer_offline: 'true',
      };
      log(`${plan.template} ${job}: ${step.run.split('\n')[0]}`);
      const r = await runInRoot({
        root: rootDirs.rootfs,
        command: `bash --noprofile --norc -eo pipefail -c ${shq(step.run)}`,
        binds: [['/root/.npm', '/root/.npm']],
        env,
        cwd,
        logFile,
      });
      if (r.code !== 0) {
        exitCode = r.code;
        failedStep = step.run;
        break;
      }
    }
    jobs.push({ job, exitCode, failedStep, seconds: (Date.now() - started) / 1000 });
  }
  return { template: plan.template, jobs, clone };
}

async function main() {
  const { values } = parseArgs({ options: { out: { type: 'string' } } });
  const out = resolve(values.out ?? join(repo, 'reports', 'ci-templates'));
  mkdirSync(out, { recursive: true });
  const logFile = join(out, 'jobs.log');
  writeFileSync(logFile, '');
  const head = spawnSync('git', ['-C', repo, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).stdout.trim();
  const started = Date.now();

  const stamp = await prepareRootfs(NO_DPDK_ROOT);
  const rootDirs = releaseDirs(NO_DPDK_ROOT);
  installNode(rootDirs.rootfs);
  const probe = await runInRoot({ root: rootDirs.rootfs, command: NO_DPDK_PROBES.join(' && ') });
  const dpdkInRoot = probe.output.trim();

  const artifacts = labRunsOnHost(join(out, 'lab-run'));
  const templatesRun = [];
  for (const plan of plans(artifacts)) templatesRun.push(await runTemplate(plan, rootDirs, head, logFile));

  const checks = [];
  const check = (what, ok) => checks.push({ what, ok });
  check('the root has no DPDK library, pkg-config, compiler or testpmd', dpdkInRoot === '');
  // The certify jobs' own verdict: red only on a regression, so known findings exit 0.
  for (const a of artifacts) check(`host lab run ${a.runner} --expect auto exits 0`, a.exitCode === 0);
  for (const t of templatesRun) {
    for (const j of t.jobs) check(`${t.template} ${j.job} exits 0`, j.exitCode === 0);
    const text = (f) => (existsSync(join(t.clone, f)) ? readFileSync(join(t.clone, f), 'utf8') : '');
    const listed =
      t.template === 'github'
        ? text('.github-output').match(/^runners=(.*)$/m)?.[1]
        : JSON.stringify(text('runners.txt').trim().split('\n'));
    check(
      `${t.template}: the runners job lists the inventory's runners`,
      listed === JSON.stringify(artifacts.map((a) => a.runner)),
    );
    for (const f of ['certification/summary.md', 'certification/junit.xml'])
      check(`${t.template}: merge wrote ${f}`, existsSync(join(t.clone, f)));
    if (t.template === 'gitlab')
      check('gitlab: the child pipeline was written', text('lab-pipeline.yml') !== '');
  }
  const outcome = {
    tool: 'tools/ci-templates/dpdk-less.mjs',
    commit: head,
    root: { folder: rootDirs.rootfs, key: stamp.key, node: process.version, dpdkInRoot },
    artifacts,
    templates: templatesRun.map(({ template, jobs }) => ({ template, jobs })),
    checks,
    seconds: (Date.now() - started) / 1000,
  };
  writeFileSync(join(out, 'outcome.json'), `${JSON.stringify(outcome, null, 2)}\n`);
  for (const a of artifacts)
    console.log(`host lab run ${a.runner}: exit ${a.exitCode}, ${a.seconds.toFixed(1)} s`);
  for (const t of outcome.templates)
    for (const j of t.jobs)
      console.log(`${t.template} ${j.job}: exit ${j.exitCode}, ${j.seconds.toFixed(1)} s`);
  for (const c of checks) console.log(`${c.ok ? 'ok  ' : 'FAIL'} ${c.what}`);
  console.log(`log: ${logFile}; outcome: ${join(out, 'outcome.json')}`);
  process.exitCode = checks.every((c) => c.ok) ? 0 : 1;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((e) => {
    console.error(`ci-templates: ${e.message}`);
    process.exitCode = 1;
  });
}
