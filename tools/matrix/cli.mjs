#!/usr/bin/env node
// The release matrix (issue 12): the test suite on Debian 12 (the host, DPDK 22.11, Node 20),
// Debian 13 trixie (DPDK 24.11, Node 20) and sid (DPDK 25.11, Node 24); and (issue 23) on
// DPDKs built from source on the host: 23.11 LTS and 26.07 from their tags, main from --tree.
//
//   node tools/matrix/cli.mjs [--release 13] [--packages linux,ethdev | --packages all]
//       prepare what is missing, run every release (or one), print release × package, write
//       reports/matrix/summary.md and summary.json; exit 1 when any release fails
//       --git DIR: the DPDK git directory the source releases' tags are built from when no
//       build is cached (default $DPDK_HOTPLUG_DPDK_GIT); --tree DIR: a DPDK tree, run as `main`
//       (source releases with no build and no --git are skipped, saying how to build them)
//   node tools/matrix/cli.mjs prepare <release>...     make (or reuse) a release's root filesystem
//   node tools/matrix/cli.mjs run <release> [--packages …]
//   node tools/matrix/cli.mjs certify [<release>...] [-- certify's options]
//       the certification (default: every default DUT, the host's settings) on each release (all
//       by default), into reports/matrix/<release>/certify/; prints DUT × release verdicts and
//       writes reports/matrix/certify.md; exit code: certify's, the worst of the releases
//   node tools/matrix/cli.mjs bench [<release>...] [--node 24]
//       `npm run bench` on each release (all by default; BENCH_ONLY, BENCH_CYCLES, BENCH_RUNS,
//       BENCH_BURSTS … passed on), into reports/matrix/<release>/bench/; prints the ratios to C
//       per release and length and writes reports/matrix/bench.md; --node 24: the host's
//       release again with Node 24 (npx -y node@24), as 12-node24
//   npm run bench:releases
//       the per-release table of issue 25 (hotplug cycle and event loop, 20,000 and 100,000
//       cycles, 3 rounds; 12, 12 with Node 24, 13, sid) into reports/matrix/bench.md
//   node tools/matrix/cli.mjs prebuilds [<release>...]
//       build ethdev's shim inside each Debian release (all by default) into
//       packages/ethdev/prebuilds/<platform>/dpdk-abi<ABI>/, for `npm pack`
//   node tools/matrix/cli.mjs clean <release>          delete a root filesystem (refused while mounted)
//   node tools/matrix/cli.mjs dpdk-build (--tree DIR | --tag TAG [--git DIR] | --tarball FILE)
//       build a DPDK source tree into a cached prefix (/var/cache/dpdk-hotplug/dpdk/<key>), print it
//
// `npm run test:matrix` is the first form. Root filesystems are cached outside the repository
// (/var/cache/dpdk-hotplug/matrix/<suite>, or $DPDK_HOTPLUG_MATRIX_CACHE).
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { formatBenchMarkdown, formatCertifyMarkdown, formatMarkdown, formatTable, shq } from './lib.mjs';
import { formatReleasesMarkdown, readReleaseData, updateReleaseData } from './release-data.mjs';
import { defaultReleases, findRelease, RELEASES } from './releases.mjs';
import {
  DEFAULT_CACHE,
  lockRelease,
  log,
  prepareRootfs,
  releaseDirs,
  removeTree,
  runInRoot,
  stopRuns,
} from './rootfs.mjs';
import { sourceBuild, sourceEnv } from './source-release.mjs';

const repo = resolve(import.meta.dirname, '../..');
/** What the matrix runs by default: the SDK's packages (conformance, hil and tools with --packages). */
export const DEFAULT_PACKAGES = ['packages/linux', 'packages/ethdev', 'packages/pmd-probe', 'packages/cli'];
/** Where the work tree's copy is seen inside a release's root filesystem. */
const WORK_IN_ROOT = '/srv/dpdk-hotplug';

// `dpdk-build …` has options of its own (dpdk-build-cli.mjs).
if (process.argv[2] === 'dpdk-build') {
  const { dpdkBuildMain } = await import('./dpdk-build-cli.mjs');
  process.exit(dpdkBuildMain(process.argv.slice(3)));
}

// `certify <release>... -- [certify's options]`: what follows `--` is certify's, untouched.
const dashes = process.argv.indexOf('--', 2);
const certifyArgs = dashes < 0 ? [] : process.argv.slice(dashes + 1);
const { values, positionals } = parseArgs({
  args: process.argv.slice(2, dashes < 0 ? undefined : dashes),
  allowPositionals: true,
  options: {
    release: { type: 'string', multiple: true },
    packages: { type: 'string', multiple: true },
    cache: { type: 'string', default: DEFAULT_CACHE },
    force: { type: 'boolean', default: false },
    'timeout-min': { type: 'string', default: '20' },
    git: { type: 'string', default: process.env.DPDK_HOTPLUG_DPDK_GIT },
    tree: { type: 'string' },
    // bench: the host's release (12) also with this Node (`npx -y node@<version>`), e.g. 24.
    node: { type: 'string', multiple: true },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help) {
  console.log(
    readFileSync(new URL(import.meta.url), 'utf8')
      .split('\n')
      .slice(1)
      .filter((_line, i, lines) => lines.slice(0, i + 1).every((l) => l.startsWith('//')))
      .join('\n')
      .replace(/^\/\/ ?/gm, ''),
  );
  process.exit(0);
}

/** Every workspace with a test script, in the root package.json's order (packages/* sorted). */
function allPackages() {
  const { workspaces } = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'));
  return workspaces
    .flatMap((w) =>
      w.endsWith('/*')
        ? readdirSync(join(repo, w.slice(0, -2)))
            .sort()
            .map((d) => `${w.slice(0, -2)}/${d}`)
        : [w],
    )
    .filter((d) => existsSync(join(repo, d, 'package.json')))
    .filter((d) => JSON.parse(readFileSync(join(repo, d, 'package.json'), 'utf8')).scripts?.test);
}

/** `--packages a,b --packages c`, short names (`linux` → packages/linux) or `all`, checked to exist. */
function packageList() {
  const names = (values.packages ?? []).flatMap((p) => p.split(',')).filter(Boolean);
  if (names.length === 0) return DEFAULT_PACKAGES;
  if (names.includes('all')) return allPackages();
  return names.map((n) => {
    const dir = [n, `packages/${n}`]
      .map((d) => d.replace(/\/$/, ''))
      .find((d) => existsSync(join(repo, d, 'package.json')));
    if (!dir) throw new Error(`no package ${n} in ${repo}`);
    return dir;
  });
}

function trackedFiles() {
  const r = spawnSync('git', ['-C', repo, 'ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`git ls-files failed: ${r.stderr}`);
  return r.stdout.split('\0').filter((f) => f && existsSync(join(repo, f)));
}

/**
 * The native shim ethdev ships for one release's DPDK ABI: built by build-shim.mjs --prebuild in
 * that release (its DPDK, its libc; on the host for 12), copied into the host's
 * packages/ethdev/prebuilds/, where `npm pack` takes it. Resolves with the stamp of each copied.
 */
async function prebuildRelease(release, { cache }) {
  const script = 'packages/ethdev/scripts/build-shim.mjs';
  const hostPrebuilds = join(repo, 'packages/ethdev/prebuilds');
  const reports = join(repo, 'reports/matrix', release.id);
  mkdirSync(reports, { recursive: true });
  const logFile = join(reports, 'prebuild.log');
  writeFileSync(logFile, '');
  let from = hostPrebuilds;
  if (release.host) {
    const r = spawnSync(process.execPath, [join(repo, script), '--prebuild'], { encoding: 'utf8' });
    writeFileSync(logFile, `${r.stdout}${r.stderr}`);
    if (r.status !== 0)
      throw new Error(`${release.id}: build-shim failed: ${r.stderr.trim().split('\n').pop()}`);
  } else {
    const unlock = lock(release, cache);
    try {
      const prepared = await prepareRootfs(release, { cache });
      const work = makeWorkCopy(release, cache);
      const r = await runInRoot({
        root: prepared.rootfs,
        binds: [[work, WORK_IN_ROOT]],
        cwd: WORK_IN_ROOT,
        command: ['node', script, '--prebuild'].map(shq).join(' '),
        logFile,
      });
      if (r.code !== 0) throw new Error(`${release.id}: build-shim failed in the chroot (see ${logFile})`);
      from = join(work, 'packages/ethdev/prebuilds');
    } finally {
      unlock();
    }
  }
  const stamps = [];
  for (const platform of readdirSync(from))
    for (const abi of readdirSync(join(from, platform))) {
      const dir = join(from, platform, abi);
      const stamp = JSON.parse(readFileSync(join(dir, 'shim.json'), 'utf8'));
      // The host's folder also holds the other releases' prebuilds: report the one built here.
      if (from === hostPrebuilds && !readFileSync(logFile, 'utf8').includes(`${dir}/libdphp_shim.so`))
        continue;
      // The work copy holds only this release's (ignored files are not copied into it).
      if (from !== hostPrebuilds) cpSync(dir, join(hostPrebuilds, platform, abi), { recursive: true });
      stamps.push({ platform, abi, ...stamp });
    }
  return stamps;
}

/**
 * A throwaway copy of the work tree for one release, so its builds (the shim, dist/) never touch
 * the host's: the files git sees (committed or not, ignored ones left out), and node_modules as
 * hard links (plain JS and koffi's prebuilt binaries). Caches that tools rewrite in place
 * (node_modules/.vite and the like) are left out, so nothing in the copy writes into a host inode.
 */
function makeWorkCopy(release, cache) {
  const { work } = releaseDirs(release, cache);
  removeTree(work);
  mkdirSync(work, { recursive: true });
  for (const f of trackedFiles()) cpSync(join(repo, f), join(work, f), { preserveTimestamps: true });
  const from = join(repo, 'node_modules');
  const to = join(work, 'node_modules');
  if (spawnSync('cp', ['-al', from, to], { stdio: 'ignore' }).status !== 0) {
    // Hard links need one file system; a cache elsewhere gets a plain copy (slower, same result).
    log(`cannot hard-link ${from} into ${work} (another file system?): copying it`);
    removeTree(to);
    if (spawnSync('cp', ['-a', from, to], { stdio: 'inherit' }).status !== 0) {
      throw new Error(`cp -a ${from} ${to} failed`);
    }
  }
  for (const cacheDir of ['.vite', '.vite-temp', '.vitest', '.cache', '.nx'])
    removeTree(join(work, 'node_modules', cacheDir));
  return work;
}

/**
 * Runs inside.mjs for one release (on the host, or chrooted on a fresh copy of the work tree) with
 * `insideArgs`; its reports end up in reports/matrix/<release>/ (a previous run's are deleted
 * first, so they never stand in for this one's). Resolves with that folder.
 */
async function runInside(release, insideArgs, { cache, timeoutMin, stamp }) {
  const reports = join(repo, 'reports/matrix', release.id);
  // Only this command's part of a previous run is deleted (certify's, bench's, or the tests'
  // and everything else), so `run` and `certify` of one release keep each other's reports.
  const part = insideArgs.includes('--certify') ? 'certify' : insideArgs.includes('--bench') ? 'bench' : '';
  if (existsSync(reports))
    for (const f of readdirSync(reports))
      if (part ? f.startsWith(part) : !f.startsWith('certify') && !f.startsWith('bench'))
        removeTree(join(reports, f));
  mkdirSync(reports, { recursive: true });
  const args = ['--release', release.id, '--timeout-min', String(timeoutMin)];
  let unlock = () => {};
  try {
    if (release.source) {
      // A source build on the host, on a copy of the work tree (its dist/ and shim are that
      // DPDK's, never the host's), with that build selected for every process.
      unlock = lock(release, cache);
      const work = makeWorkCopy(release, cache);
      log(`${release.id}: DPDK ${stamp.version} at ${stamp.prefix}, work tree copy ${work}`);
      const code = await new Promise((done) => {
        const child = spawn(
          process.execPath,
          [join(work, 'tools/matrix/inside.mjs'), ...args, '--out', reports, ...insideArgs],
          {
            cwd: work,
            stdio: ['ignore', 'inherit', 'inherit'],
            env: { ...process.env, ...sourceEnv(stamp) },
          },
        );
        hostRun = child;
        child.on('close', (c) => {
          hostRun = null;
          done(c ?? 1);
        });
      });
      log(`${release.id}: inside.mjs exited ${code}`);
    } else if (release.host) {
      log(
        `${release.id} (${release.suite}): on the host, in ${repo}${release.nodeBin ? `, ${release.nodeBin}` : ''}`,
      );
      const code = await new Promise((done) => {
        // Another Node (--node): its binary first on PATH, so the bench's `node` children are it too.
        const env = release.nodeBin
          ? { ...process.env, PATH: `${dirname(release.nodeBin)}:${process.env.PATH}` }
          : process.env;
        const child = spawn(
          release.nodeBin ?? process.execPath,
          [join(repo, 'tools/matrix/inside.mjs'), ...args, '--out', reports, ...insideArgs],
          { cwd: repo, stdio: ['ignore', 'inherit', 'inherit'], env },
        );
        hostRun = child;
        child.on('close', (c) => {
          hostRun = null;
          done(c ?? 1);
        });
      });
      log(`${release.id}: inside.mjs exited ${code}`);
    } else {
      unlock = lock(release, cache);
      const prepared = await prepareRootfs(release, { cache });
      const work = makeWorkCopy(release, cache);
      const out = `${WORK_IN_ROOT}/reports/matrix/${release.id}`;
      log(`${release.id} (${release.suite}): chroot ${prepared.rootfs}, work tree copy ${work}`);
      const r = await runInRoot({
        root: prepared.rootfs,
        binds: [[work, WORK_IN_ROOT]],
        cwd: WORK_IN_ROOT,
        // Tests that only make sense on the host (removeTree's) skip themselves on it.
        // The bench's own settings (BENCH_ONLY, BENCH_CYCLES, BENCH_RUNS, …) reach it in the root too.
        env: {
          DPDK_HOTPLUG_MATRIX_CHROOT: release.suite,
          ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('BENCH_'))),
        },
        command: ['node', 'tools/matrix/inside.mjs', ...args, '--out', out, ...insideArgs].map(shq).join(' '),
        logFile: join(reports, 'run.log'),
        echo: true,
      });
      log(`${release.id}: inside.mjs exited ${r.code}`);
      const inWork = join(work, 'reports/matrix', release.id);
      if (existsSync(inWork)) cpSync(inWork, reports, { recursive: true });
    }
  } finally {
    unlock();
  }
  return reports;
}

/** The path of Node `version`'s binary, installed by npx under ~/.npm/_npx when missing. */
function npxNode(version) {
  if (!/^\d+(\.\d+){0,2}$/.test(version)) throw new Error(`--node ${version}: a Node version (24, 24.21.0)`);
  const r = spawnSync('npx', ['-y', `node@${version}`, '-p', 'process.execPath'], { encoding: 'utf8' });
  const path = r.stdout?.trim();
  if (r.status !== 0 || !path || !existsSync(path))
    throw new Error(`npx -y node@${version} failed: ${(r.stderr ?? '').trim().split('\n').at(-1)}`);
  return path;
}

/** The tests of one release; its rows for the table. */
async function runRelease(release, packages, options) {
  const started = Date.now();
  const base = { release: release.id, suite: release.source ? 'source' : release.suite };
  const failAll = (note, status = 'error') => packages.map((p) => ({ ...base, package: p, status, note }));
  let env = { dpdk: '', node: '' };
  let results;
  let pmdinfo;
  try {
    const built = withSourceBuild(release, options);
    if (built.skip) {
      updateReleaseData(reportsRoot, release, { skipped: built.skip });
      return failAll(built.skip, 'skipped');
    }
    const tree = built.stamp?.tree;
    const reports = await runInside(release, [...packages, '--pmdinfo', ...(tree ? ['--tree', tree] : [])], {
      ...options,
      stamp: built.stamp,
    });
    const file = join(reports, 'results.json');
    if (!existsSync(file)) return failAll(`no results (see ${join('reports/matrix', release.id)})`);
    ({ environment: env, results, pmdinfo } = JSON.parse(readFileSync(file, 'utf8')));
    updateReleaseData(reportsRoot, release, {
      build: buildFacts(built.stamp),
      environment: env,
      tests: results,
      pmdinfo,
    });
  } catch (error) {
    return failAll(String(error.message ?? error).split('\n')[0]);
  }
  log(`${release.id}: ${Math.round((Date.now() - started) / 1000)} s`);
  const rows = packages.map((p) => {
    const r = results.find((x) => x.package === p);
    return r
      ? { ...base, dpdk: env.dpdk, node: env.node, ...r }
      : { ...base, package: p, status: 'error', note: 'not run' };
  });
  return rows;
}

/**
 * The certification of one release (`certify`'s own options after `--`), into
 * reports/matrix/<release>/certify/: its summary, or an error saying why there is none.
 */
async function certifyRelease(release, certifyArgs, options) {
  const started = Date.now();
  try {
    const built = withSourceBuild(release, options);
    if (built.skip) {
      updateReleaseData(reportsRoot, release, { skipped: built.skip });
      return { release, skipped: built.skip };
    }
    // A source build is certify's --dpdk (also selected by the environment), unless one is given.
    const dpdkArgs = built.stamp && !certifyArgs.includes('--dpdk') ? ['--dpdk', built.stamp.prefix] : [];
    const reports = await runInside(release, ['--certify', '--', ...dpdkArgs, ...certifyArgs], {
      ...options,
      stamp: built.stamp,
    });
    const dir = join(reports, 'certify');
    const outcome = existsSync(join(dir, 'outcome.json'))
      ? JSON.parse(readFileSync(join(dir, 'outcome.json'), 'utf8'))
      : {};
    if (!existsSync(join(dir, 'summary.json')))
      return { release, error: `no summary (see ${join('reports/matrix', release.id)})`, outcome };
    log(`${release.id}: certified in ${Math.round((Date.now() - started) / 1000)} s`);
    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
    updateReleaseData(reportsRoot, release, {
      build: buildFacts(built.stamp),
      certify: {
        args: [...dpdkArgs, ...certifyArgs],
        exitCode: outcome.exitCode,
        seconds: outcome.seconds,
        dpdk: summary.duts[0]?.dpdkVersion,
        verdicts: Object.fromEntries(
          summary.duts.map((d) => [
            d.name,
            { verdict: d.verdict, notPassed: d.checks.filter((c) => c.status !== 'PASS').map((c) => c.id) },
          ]),
        ),
        expectations: outcome.expectations,
      },
    });
    return { release, outcome, summary };
  } catch (error) {
    return { release, error: String(error.message ?? error).split('\n')[0] };
  }
}

const reportsRoot = join(repo, 'reports/matrix');

/** A source release's build ({ stamp } or { skip }); {} for Debian's releases. */
function withSourceBuild(release, options) {
  if (!release.source) return {};
  return sourceBuild(release, { git: options.git, tree: options.tree, log });
}

/** What the release data keeps of a source build (undefined for Debian's DPDK). */
function buildFacts(stamp) {
  if (!stamp) return undefined;
  const { version, commit, source, tree, prefix, seconds, bytes, date } = stamp;
  return { version, commit, source, tree, prefix, seconds, bytes, date };
}

/** The host release's inside.mjs while it runs. */
let hostRun = null;
/** The release locks held now, released on an interruption too. */
const held = new Set();
function lock(release, cache) {
  const unlock = lockRelease(releaseDirs(release, cache).dir);
  held.add(unlock);
  return () => {
    held.delete(unlock);
    unlock();
  };
}
// Interrupted (Ctrl-C, kill): stop what runs in the chroots and on the host, release the locks,
// then leave. Nothing is mounted outside the runs' own namespaces, which end with their processes.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    log(`${signal}: stopping the runs`);
    stopRuns('SIGTERM');
    hostRun?.kill('SIGTERM');
    for (const unlock of held) unlock();
    process.exit(130);
  });
}

async function main() {
  const [command = 'all', ...rest] = positionals;
  const cache = values.cache;
  const timeoutMin = Number(values['timeout-min']);
  if (command === 'prepare') {
    const names = rest.length > 0 ? rest : RELEASES.filter((r) => !r.host).map((r) => r.id);
    for (const name of names) {
      const release = findRelease(name);
      if (release.host) {
        log(
          `${release.id} (${release.suite}) is the host: nothing to prepare (npm run setup installs its DPDK)`,
        );
        continue;
      }
      const t = Date.now();
      const unlock = lock(release, cache);
      const p = await prepareRootfs(release, { cache, force: values.force }).finally(unlock);
      console.log(
        `${release.id} (${release.suite}): ${p.cached ? 'cached' : 'prepared'} in ${((Date.now() - t) / 1000).toFixed(1)} s — ${p.rootfs}, DPDK ${p.dpdk}, Node ${p.node}`,
      );
    }
    return 0;
  }
  const debianOnly = (what, releases) => {
    const source = releases.find((r) => r.source);
    if (source) throw new Error(`${what}: Debian's releases only (${source.id} is a DPDK built from source)`);
    return releases;
  };
  if (command === 'prebuilds') {
    const releases = debianOnly('prebuilds', rest.length > 0 ? rest.map(findRelease) : RELEASES);
    let failed = 0;
    for (const release of releases) {
      try {
        for (const s of await prebuildRelease(release, { cache }))
          console.log(
            `${release.id} (${release.suite}): prebuilds/${s.platform}/dpdk-abi${s.abi}: DPDK ${s.dpdk}`,
          );
      } catch (error) {
        failed++;
        console.error(String(error.message ?? error));
      }
    }
    return failed ? 1 : 0;
  }
  if (command === 'clean') {
    for (const name of rest) {
      const release = findRelease(name);
      const dirs = releaseDirs(release, cache);
      const unlock = lock(release, cache);
      try {
        removeTree(dirs.stamp);
        for (const d of [dirs.work, dirs.staging, dirs.rootfs]) removeTree(d);
      } finally {
        unlock();
      }
      console.log(`${release.id} (${release.suite}): removed ${dirs.dir}/{rootfs,work}`);
    }
    return 0;
  }
  const sourceOptions = { git: values.git, tree: values.tree };
  if (command === 'certify') {
    const releases =
      rest.length > 0 ? rest.map(findRelease) : defaultReleases({ tree: Boolean(values.tree) });
    const started = Date.now();
    const runs = [];
    for (const release of releases)
      runs.push(await certifyRelease(release, certifyArgs, { cache, timeoutMin, ...sourceOptions }));
    const seconds = Math.round((Date.now() - started) / 1000);
    const markdown = formatCertifyMarkdown(runs, {
      when: `${new Date().toISOString()}, ${seconds} s, certify ${certifyArgs.join(' ') || '(default DUTs)'}`,
    });
    console.log(`\n${markdown}`);
    const dir = join(repo, 'reports/matrix');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'certify.md'), markdown);
    writeFileSync(join(dir, 'releases.md'), formatReleasesMarkdown(readReleaseData(dir)));
    console.log(`reports/matrix/certify.md, reports/matrix/<release>/certify/ (${seconds} s)`);
    // certify's own exit codes, the worst of the releases: 2 no summary, 1 FAILED/NEW FAIL, 3 INCONCLUSIVE.
    const codes = runs.map((r) => (r.summary ? (r.outcome?.exitCode ?? 1) : 2));
    return codes.find((c) => c === 2) ?? codes.find((c) => c === 1) ?? codes.find((c) => c !== 0) ?? 0;
  }
  if (command === 'bench') {
    const releases = [...debianOnly('bench', rest.length > 0 ? rest.map(findRelease) : RELEASES)];
    // --node V: the host's release once more with Node V, right after it.
    const host = releases.findIndex((r) => r.host);
    for (const version of [...(values.node ?? [])].reverse()) {
      if (host < 0) throw new Error(`--node ${version}: only for the host's release (12), not in this list`);
      const nodeBin = npxNode(version);
      releases.splice(host + 1, 0, { ...releases[host], id: `${releases[host].id}-node${version}`, nodeBin });
    }
    const started = Date.now();
    const runs = [];
    for (const release of releases) {
      try {
        const reports = await runInside(release, ['--bench'], { cache, timeoutMin });
        const file = join(reports, 'bench', 'bench.json');
        runs.push(
          existsSync(file)
            ? { release, figures: JSON.parse(readFileSync(file, 'utf8')) }
            : { release, error: `no figures (see ${join('reports/matrix', release.id, 'bench')})` },
        );
      } catch (error) {
        runs.push({ release, error: String(error.message ?? error).split('\n')[0] });
      }
    }
    const seconds = Math.round((Date.now() - started) / 1000);
    const markdown = formatBenchMarkdown(runs, { when: `${new Date().toISOString()}, ${seconds} s` });
    console.log(`\n${markdown}`);
    const dir = join(repo, 'reports/matrix');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'bench.md'), markdown);
    console.log(`reports/matrix/bench.md, reports/matrix/<release>/bench/ (${seconds} s)`);
    return runs.every((r) => r.figures) ? 0 : 1;
  }
  let releases;
  if (command === 'run') {
    if (rest.length === 0) throw new Error('run <release>: which release? (12, 13, sid)');
    releases = rest.map(findRelease);
  } else if (command === 'all') {
    releases = values.release
      ? values.release.flatMap((r) => r.split(',')).map(findRelease)
      : defaultReleases({ tree: Boolean(values.tree) });
  } else {
    throw new Error(
      `unknown command ${command}: prepare, run, certify, bench, prebuilds, clean, or none (every release)`,
    );
  }
  const packages = packageList();
  const started = Date.now();
  const rows = [];
  for (const release of releases)
    rows.push(...(await runRelease(release, packages, { cache, timeoutMin, ...sourceOptions })));
  const seconds = Math.round((Date.now() - started) / 1000);
  const table = formatTable(rows);
  console.log(`\n${table}\n`);
  const dir = join(repo, 'reports/matrix');
  mkdirSync(dir, { recursive: true });
  const when = `${new Date().toISOString()}, ${seconds} s, releases ${releases.map((r) => r.id).join(', ')}`;
  writeFileSync(join(dir, 'summary.md'), formatMarkdown(rows, { when }));
  writeFileSync(
    join(dir, 'summary.json'),
    `${JSON.stringify({ when: new Date().toISOString(), seconds, rows }, null, 2)}\n`,
  );
  console.log(`reports/matrix/summary.md, summary.json (${seconds} s)`);
  writeFileSync(join(dir, 'releases.md'), formatReleasesMarkdown(readReleaseData(dir)));
  console.log(
    'reports/matrix/releases.json, releases.md (each release: its DPDK, tests, pmdinfo, certification)',
  );
  // A source release skipped for want of a build is said in the table, not a failure.
  return rows.every((r) => r.status === 'passed' || r.status === 'skipped') ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(`[matrix] ${error.message ?? error}`);
    process.exit(2);
  },
);
