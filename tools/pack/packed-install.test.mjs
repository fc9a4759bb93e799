// The packages as a user gets them: every published workspace packed (tools/pack/pack.mjs), the
// tarballs installed into a new folder outside the repository (no workspace links, install
// scripts not run: npm 11's default), then the tool and the SDK used from there, also with
// node_modules read-only. The folder is not below a world-writable one (DPDK refuses -d paths
// there): /var/cache/dpdk-hotplug/pack-test as root, else ~/.cache/dpdk-hotplug/pack-test.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { packAll, root } from './pack.mjs';

const base =
  process.getuid?.() === 0
    ? '/var/cache/dpdk-hotplug/pack-test'
    : join(homedir(), '.cache', 'dpdk-hotplug', 'pack-test');
let work;
let app;
let tarballs;
const timings = {};
// The read-only runs bind-mount in a private mount namespace: root only (as the repo's other
// tests that change the machine).
const readOnlySkip = process.getuid?.() !== 0 && 'needs root: unshare -m and bind mounts';
const timed = (name, fn) => {
  const start = performance.now();
  try {
    return fn();
  } finally {
    timings[name] = Math.round(performance.now() - start);
  }
};

/** Whether anything is mounted at or below `dir` (this process's mount namespace). */
const mountedBelow = (dir) =>
  readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .some((l) => {
      const point = l.split(' ')[4];
      return point === dir || point?.startsWith(`${dir}/`);
    });

before(() => {
  mkdirSync(base, { recursive: true, mode: 0o755 });
  work = mkdtempSync(join(base, 'run-'));
  // DPDK's rule, checked here so a failure says why: no folder above is world-writable.
  for (let d = work; d !== '/'; d = dirname(d))
    assert.equal(statSync(d).mode & 0o002, 0, `${d} is world-writable: DPDK would refuse PMD paths below it`);
  assert.ok(!work.startsWith(`${root}`), 'the install folder must be outside the repository');
  const dest = join(work, 'tarballs');
  mkdirSync(dest);
  tarballs = timed('pack', () => packAll(dest));
  app = join(work, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), '{ "name": "app", "private": true, "type": "module" }\n');
  timed('install', () =>
    execFileSync(
      'npm',
      [
        'install',
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
        '--loglevel=error',
        ...tarballs.map((t) => t.file),
      ],
      { cwd: app, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' },
    ),
  );
});

after(() => {
  if (!work) return;
  console.log(`packed-install timings (ms): ${JSON.stringify(timings)}`);
  // Nothing may be mounted below it (the read-only runs mount in their own namespace only).
  assert.equal(mountedBelow(work), false, `something is mounted below ${work}`);
  execFileSync('rm', ['-rf', '--one-file-system', work]);
});

test('every tarball has its LICENSE, README and package.json, and is installed as a real folder', () => {
  const names = tarballs.map((t) => t.name).sort();
  assert.deepEqual(names, [
    '@dpdk-hotplug/args',
    '@dpdk-hotplug/cli',
    '@dpdk-hotplug/conformance',
    '@dpdk-hotplug/ethdev',
    '@dpdk-hotplug/hil',
    '@dpdk-hotplug/linux',
    '@dpdk-hotplug/pmd-probe',
    'dpdk-hotplug',
  ]);
  const license = readFileSync(join(root, 'LICENSE'), 'utf8');
  for (const t of tarballs) {
    for (const f of ['LICENSE', 'README.md', 'package.json'])
      assert.ok(t.files.includes(f), `${t.name} has no ${f}`);
    const installed = join(app, 'node_modules', t.name);
    // A copy from the tarball, not a workspace link back into the repository.
    assert.equal(lstatSync(installed).isSymbolicLink(), false, `${installed} is a link`);
    assert.equal(
      readFileSync(join(installed, 'LICENSE'), 'utf8'),
      license,
      `${t.name}'s LICENSE differs from the root's`,
    );
  }
  const files = (name) => tarballs.find((t) => t.name === name).files;
  assert.ok(files('@dpdk-hotplug/conformance').includes('dist/index.js'));
  assert.ok(files('@dpdk-hotplug/conformance').includes('playwright.config.js'));
  assert.ok(files('@dpdk-hotplug/hil').includes('ci/lab-certification.yml'));
  assert.ok(
    files('@dpdk-hotplug/ethdev').some((f) =>
      /^prebuilds\/linux-x64\/dpdk-abi\d+\/libdphp_shim\.so$/.test(f),
    ),
  );
  assert.ok(
    !files('@dpdk-hotplug/conformance').some(
      (f) => /\.test\.|test-support|\.ts$/.test(f) && !f.endsWith('.d.ts'),
    ),
  );
});

test('npx dpdk-hotplug certify --only net_null writes a summary with a verdict', () => {
  const out = join(work, 'certify');
  const r = timed('certify', () =>
    spawnSync(
      'npx',
      [
        '--no-install',
        'dpdk-hotplug',
        'certify',
        '--only',
        'net_null',
        '--cycles',
        '20',
        '--budget',
        '5',
        '--workers',
        '1',
        '--out',
        out,
      ],
      {
        cwd: app,
        encoding: 'utf8',
        env: { ...process.env, XDG_CACHE_HOME: join(work, 'cache') },
      },
    ),
  );
  const summaryFile = join(out, 'summary.json');
  assert.ok(
    existsSync(summaryFile),
    `no summary.json (exit ${r.status}):\n${r.stdout.slice(-1500)}\n${r.stderr.slice(-1500)}`,
  );
  const summary = JSON.parse(readFileSync(summaryFile, 'utf8'));
  assert.equal(summary.duts.length, 1);
  const [dut] = summary.duts;
  assert.equal(dut.name, 'net_null');
  const verdicts = { CERTIFIED: 0, 'CERTIFIED WITH WARNINGS': 0, FAILED: 1, INCONCLUSIVE: 3 };
  assert.ok(dut.verdict in verdicts, `verdict ${dut.verdict}`);
  assert.equal(r.status, verdicts[dut.verdict], "the exit code is the verdict's");
  // Judged: checks ran against the DUT and passed or failed (not all skipped or not run).
  const judged = dut.checks.filter((c) => c.status === 'PASS' || c.status === 'FAIL');
  assert.ok(
    judged.length >= 10,
    `only ${judged.length} checks judged: ${JSON.stringify(dut.checks.map((c) => c.status))}`,
  );
  assert.match(r.stdout, /verdicts:\n {2}\S/);
  assert.ok(existsSync(join(out, 'certificate.html')));
});

// A tiny application of the SDK: attach, close, detach net_null; say which shim it mapped.
const appSource = `
import { readFileSync } from 'node:fs';
import { Eal } from '@dpdk-hotplug/ethdev';
const eal = Eal.init({ noHuge: true, noPci: true, memoryMb: 128, noSharedConfig: true,
  filePrefix: 'pack-test-' + process.pid, logLevel: 'error', logEcho: false });
const port = eal.attachSync('net_null0');
eal.close(port);
const name = eal.detachSync(port);
const shim = readFileSync('/proc/self/maps', 'utf8').split('\\n').map((l) => l.split(/\\s+/)[5]).find((f) => f?.endsWith('libdphp_shim.so'));
eal.cleanup();
console.log(JSON.stringify({ port, name, shim }));
`;

/** Runs the app; `readOnly`: node_modules bind-mounted read-only in a private mount namespace. */
function runApp({ readOnly = false, hidePrebuilds = false, cache }) {
  const file = join(app, 'attach-detach.mjs');
  writeFileSync(file, appSource);
  const nm = join(app, 'node_modules');
  const steps = [];
  if (readOnly) steps.push(`mount --bind "${nm}" "${nm}"`, `mount -o remount,bind,ro "${nm}"`);
  // The write probe proves the mount is read-only for root too.
  if (readOnly)
    steps.push(
      `! touch "${nm}/.write-probe" 2>/dev/null || { echo "node_modules is writable" >&2; exit 9; }`,
    );
  // After the read-only bind (a plain bind does not carry mounts below it along).
  if (hidePrebuilds) steps.push(`mount --bind "$EMPTY" "${nm}/@dpdk-hotplug/ethdev/prebuilds"`);
  const empty = mkdtempSync(join(work, 'empty-'));
  const script = [...steps, `exec "${process.execPath}" "${file}"`].join(' && ');
  const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script], {
    cwd: app,
    encoding: 'utf8',
    env: { ...process.env, XDG_CACHE_HOME: cache, EMPTY: empty },
  });
  assert.equal(r.status, 0, `app failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

test('an app that imports @dpdk-hotplug/ethdev attaches and detaches net_null with the prebuilt shim', () => {
  const cache = join(work, 'cache-app');
  const r = timed('app', () => runApp({ cache }));
  assert.equal(r.name, 'net_null0');
  assert.equal(typeof r.port, 'number');
  assert.match(
    r.shim,
    /\/node_modules\/@dpdk-hotplug\/ethdev\/prebuilds\/linux-x64\/dpdk-abi\d+\/libdphp_shim\.so$/,
  );
  assert.equal(existsSync(join(cache, 'dpdk-hotplug')), false, 'nothing was built into the cache');
});

test('the same app runs with node_modules read-only', { skip: readOnlySkip }, () => {
  const r = timed('app-read-only', () => runApp({ readOnly: true, cache: join(work, 'cache-ro') }));
  assert.equal(r.name, 'net_null0');
  assert.match(r.shim, /\/prebuilds\//);
});

test(
  'read-only node_modules and no prebuilt shim: the shim is built into the XDG cache',
  { skip: readOnlySkip },
  () => {
    const cache = join(work, 'cache-build');
    const r = timed('app-read-only-build', () => runApp({ readOnly: true, hidePrebuilds: true, cache }));
    assert.equal(r.name, 'net_null0');
    assert.ok(r.shim.startsWith(`${cache}/dpdk-hotplug/shims/`), `shim mapped from ${r.shim}`);
  },
);
