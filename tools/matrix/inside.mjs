#!/usr/bin/env node
// Runs inside one release of the matrix (the host, or a chroot on a copy of the work tree), with
// that release's Node: builds each package with nx (the shim against that release's DPDK), runs
// its tests with a machine-readable reporter, and writes <out>/results.json.
//   node tools/matrix/inside.mjs --release 13 --out reports/matrix/13 packages/linux packages/ethdev
//   node tools/matrix/inside.mjs --release 13 --out reports/matrix/13 --certify -- [certify's options]
//       builds the suite, runs `certify` (default: every default DUT) into <out>/certify and
//       writes <out>/certify/outcome.json (exit code, seconds, environment)
//   node tools/matrix/inside.mjs --release 13 --out reports/matrix/13 --bench
//       `npm run bench` against this release's DPDK: <out>/bench/bench.txt and bench.json
//   node tools/matrix/inside.mjs … --pmdinfo [--tree DIR] packages/…
//       after the packages: pmd-probe's reading of the installed PMDs against that DPDK's own
//       dpdk-pmdinfo.py, and the source scan of DIR (results.json's `pmdinfo`)
// A source-built DPDK is selected by the environment the matrix gives (source-release.mjs).
// Uses nothing but Node and the repository's node_modules.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { nodeTestCounts, vitestCounts } from './lib.mjs';

const root = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '../..');
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    release: { type: 'string', default: '?' },
    out: { type: 'string' },
    'timeout-min': { type: 'string', default: '20' },
    certify: { type: 'boolean', default: false },
    bench: { type: 'boolean', default: false },
    pmdinfo: { type: 'boolean', default: false },
    tree: { type: 'string' },
  },
});
const out = resolve(values.out ?? join(root, 'reports/matrix', values.release));
mkdirSync(out, { recursive: true });
const timeoutMs = Number(values['timeout-min']) * 60_000;

function say(message) {
  process.stderr.write(`[matrix ${values.release}] ${message}\n`);
}

/** The step running now: its process group is killed when this script is interrupted. */
let current = null;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    say(`${signal}: stopping`);
    if (current) killGroup(current);
    process.exit(130);
  });
}

function killGroup(child) {
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Runs a command in its own process group, killed (the group) after the timeout; output to a file. */
function run(cmd, args, { cwd, logFile }) {
  return new Promise((done) => {
    const started = Date.now();
    const child = spawn(cmd, args, {
      cwd,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CI: '1', NX_DAEMON: 'false', NX_NO_CLOUD: 'true', FORCE_COLOR: '0' },
    });
    current = child;
    const chunks = [];
    child.stdout.on('data', (b) => chunks.push(b));
    child.stderr.on('data', (b) => chunks.push(b));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child);
    }, timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      current = null;
      const text = Buffer.concat(chunks).toString();
      // Another command of the matrix on this release (certify beside run) may have replaced the
      // release's reports folder meanwhile: write into a new one.
      mkdirSync(dirname(logFile), { recursive: true });
      writeFileSync(logFile, text);
      done({ code: code ?? 128, signal, timedOut, text, seconds: (Date.now() - started) / 1000 });
    });
  });
}

function lastLines(text, n = 8) {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: strips terminal colours
  const plain = text.replace(/\u001b\[[0-9;]*m/g, '');
  return plain.trimEnd().split('\n').slice(-n).join('\n');
}

const sh = (cmd) => spawnSync('sh', ['-c', cmd], { encoding: 'utf8' }).stdout.trim();
const environment = {
  release: values.release,
  node: process.version,
  dpdk: sh('pkg-config --modversion libdpdk 2>/dev/null') || 'missing',
  // The sonames the binding has to load (librte_eal.so.23 on 22.11, .25 on 24.11, .26 on 25.11).
  librteEal: sh(
    'ls "$(pkg-config --variable=libdir libdpdk)"/librte_eal.so.* 2>/dev/null | sed "s|.*/||" | grep -E "^librte_eal\\.so\\.[0-9]+$"',
  ),
  dpdkPrefix: process.env.DPDK_HOTPLUG_DPDK || sh('pkg-config --variable=prefix libdpdk 2>/dev/null'),
  dpdkPmdinfo: existsSync(`${process.env.DPDK_HOTPLUG_DPDK || '/usr'}/bin/dpdk-pmdinfo.py`),
  debian: sh('cat /etc/debian_version 2>/dev/null'),
  kernel: sh('uname -r'),
};
say(
  `Node ${environment.node}, DPDK ${environment.dpdk} (${environment.librteEal}), Debian ${environment.debian}`,
);

const nx = join(root, 'node_modules/nx/bin/nx.js');
const vitest = join(root, 'node_modules/vitest/vitest.mjs');

if (values.bench) {
  // The bench as `npm run bench` runs it (nx builds what it needs), its figures also as JSON.
  const dir = join(out, 'bench');
  mkdirSync(dir, { recursive: true });
  say('nx run @dpdk-hotplug/tools:bench');
  process.env.BENCH_JSON = join(dir, 'bench.json');
  const bench = await run(
    process.execPath,
    [nx, 'run', '@dpdk-hotplug/tools:bench', '--output-style=stream'],
    {
      cwd: root,
      logFile: join(dir, 'bench.txt'),
    },
  );
  process.stderr.write(`${lastLines(bench.text, 40)}\n`);
  writeFileSync(
    join(dir, 'outcome.json'),
    `${JSON.stringify({ environment, exitCode: bench.code, timedOut: bench.timedOut, seconds: Math.round(bench.seconds) }, null, 2)}\n`,
  );
  process.exit(bench.code);
}

/**
 * The run against the suite's shipped expectations of its DPDK (what `--expect auto` reads):
 * { file, outcomes: { 'KNOWN FAIL': n, … }, newFails }, or { file: null, note } when none are
 * shipped for that release (said, never read as clean).
 */
async function shippedExpectations(summaryFile) {
  if (!existsSync(summaryFile)) return undefined;
  const reports = await import('@dpdk-hotplug/conformance/reports');
  const summary = JSON.parse(readFileSync(summaryFile, 'utf8'));
  const version = (summary.duts[0]?.dpdkVersion ?? environment.dpdk).replace(/^DPDK /, '');
  let file;
  try {
    file = reports.shippedExpectationsFor(version);
  } catch (e) {
    return { file: null, note: e.message };
  }
  const results = reports.compare(summary, reports.readExpectations(file));
  const outcomes = {};
  for (const r of results) outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
  const listed = (o) => results.filter((r) => r.outcome === o).map((r) => `${r.dut} ${r.check}`);
  return { file: file.replace(/.*\//, ''), outcomes, newFails: listed('NEW FAIL'), fixed: listed('FIXED') };
}

if (values.certify) {
  // The default certification, the same settings as on the host: built by nx (the shim against
  // this release's DPDK), then conformance's own entry point.
  const dir = join(out, 'certify');
  mkdirSync(dir, { recursive: true });
  say('nx run @dpdk-hotplug/conformance:build');
  const build = await run(
    process.execPath,
    [nx, 'run', '@dpdk-hotplug/conformance:build', '--output-style=stream'],
    { cwd: root, logFile: join(out, 'certify.build.log') },
  );
  if (build.code !== 0) {
    say(`build FAILED\n${lastLines(build.text)}`);
    writeFileSync(
      join(dir, 'outcome.json'),
      `${JSON.stringify({ environment, buildFailed: true }, null, 2)}\n`,
    );
    process.exit(1);
  }
  const args = ['certify', '--out', dir, ...positionals];
  say(`certify ${args.slice(1).join(' ')}`);
  const cert = await run(process.execPath, [join(root, 'conformance/bin/certify.mjs'), ...args], {
    cwd: root,
    logFile: join(out, 'certify.log'),
  });
  process.stderr.write(`${lastLines(cert.text, 40)}\n`);
  const outcome = {
    environment,
    exitCode: cert.code,
    timedOut: cert.timedOut,
    seconds: Math.round(cert.seconds),
    expectations: await shippedExpectations(join(dir, 'summary.json')),
  };
  writeFileSync(join(dir, 'outcome.json'), `${JSON.stringify(outcome, null, 2)}\n`);
  process.exit(cert.code);
}
const results = [];
for (const dir of positionals) {
  const pkgDir = join(root, dir);
  const manifest = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
  const slug = dir.replace(/[^\w.-]+/g, '_');
  const row = { package: dir, name: manifest.name, passed: 0, failed: 0, skipped: 0, failures: [] };

  // nx builds the package and what it depends on (the shim against this release's DPDK); a
  // package without a build target (tools) runs its tests as they are.
  let build = { code: 0, seconds: 0, text: '' };
  if (manifest.scripts?.build) {
    say(`${dir}: nx run ${manifest.name}:build`);
    build = await run(process.execPath, [nx, 'run', `${manifest.name}:build`, '--output-style=stream'], {
      cwd: root,
      logFile: join(out, `${slug}.build.log`),
    });
  }
  row.buildSeconds = Math.round(build.seconds);
  if (build.code !== 0) {
    row.status = 'failed';
    row.note = `build failed (exit ${build.code}${build.timedOut ? ', timed out' : ''}): ${lastLines(build.text, 3).replace(/\s*\n\s*/g, ' ⏎ ')}`;
    say(`${dir}: build FAILED\n${lastLines(build.text)}`);
    results.push(row);
    continue;
  }

  const testScript = manifest.scripts?.test ?? '';
  let test;
  if (/^vitest\b/.test(testScript)) {
    const json = join(out, `${slug}.vitest.json`);
    say(`${dir}: vitest run`);
    test = await run(
      process.execPath,
      [vitest, 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${json}`],
      { cwd: pkgDir, logFile: join(out, `${slug}.test.log`) },
    );
    if (existsSync(json)) Object.assign(row, vitestCounts(JSON.parse(readFileSync(json, 'utf8'))));
  } else {
    say(`${dir}: npm test (${testScript})`);
    test = await run('npm', ['run', 'test'], { cwd: pkgDir, logFile: join(out, `${slug}.test.log`) });
    Object.assign(row, nodeTestCounts(test.text));
  }
  row.testSeconds = Math.round(test.seconds);
  row.exitCode = test.code;
  const counted = row.passed + row.failed + row.skipped;
  if (test.code === 0 && row.failed === 0) row.status = 'passed';
  else {
    row.status = 'failed';
    if (test.timedOut) row.note = `tests timed out after ${values['timeout-min']} min`;
    else if (row.failed === 0) {
      row.note = `tests exited ${test.code}${counted === 0 ? ' before any test ran' : ''}: ${lastLines(test.text, 3).replace(/\s*\n\s*/g, ' ⏎ ')}`;
    }
  }
  say(
    `${dir}: ${row.status.toUpperCase()} — ${row.passed} passed, ${row.failed} failed, ${row.skipped} skipped (build ${row.buildSeconds} s, tests ${row.testSeconds} s)`,
  );
  results.push(row);
}

let pmdinfo;
if (values.pmdinfo) {
  // pmd-probe and ethdev are built by the packages' step (pmd-probe depends on ethdev).
  say('pmd-probe: nx run @dpdk-hotplug/pmd-probe:build');
  const build = await run(
    process.execPath,
    [nx, 'run', '@dpdk-hotplug/pmd-probe:build', '--output-style=stream'],
    {
      cwd: root,
      logFile: join(out, 'pmdinfo.build.log'),
    },
  );
  if (build.code !== 0) pmdinfo = { error: `pmd-probe build failed: ${lastLines(build.text, 2)}` };
  else {
    const { pmdinfoStep } = await import('./pmdinfo-step.mjs');
    try {
      pmdinfo = await pmdinfoStep({
        probe: await import('@dpdk-hotplug/pmd-probe'),
        ethdev: await import('@dpdk-hotplug/ethdev'),
        tree: values.tree,
      });
    } catch (e) {
      pmdinfo = { error: String(e.message ?? e).split('\n')[0] };
    }
  }
  say(
    `pmdinfo: ${pmdinfo.error ?? `${pmdinfo.equal ? 'equal to' : 'DIFFERS from'} ${pmdinfo.script} (${pmdinfo.ours} / ${pmdinfo.theirs} records)`}${pmdinfo.source ? `; source scan: ${pmdinfo.source.drivers} drivers, ${pmdinfo.source.detachable} detachable` : ''}`,
  );
}

mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'results.json'), `${JSON.stringify({ environment, results, pmdinfo }, null, 2)}\n`);
process.exit(
  results.every((r) => r.status === 'passed') && !pmdinfo?.error && pmdinfo?.equal !== false ? 0 : 1,
);
