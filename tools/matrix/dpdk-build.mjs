// DPDK from source (issue 23): a tree the user gives (a checkout, a tag of a git directory, a
// release tarball) built with Debian's meson and ninja (and ccache) into a cached prefix keyed by
// the tree's version, commit and the build options. Only what the suite needs is built: the
// default DUTs' vdev PMDs, the lab's PCI PMDs (e1000, vmxnet3, virtio), testpmd, the driver SDK
// (so an out-of-tree PMD can be built against it) and dpdk-pmdinfo.py. Nothing is downloaded.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, join, resolve } from 'node:path';

/** Where trees, builds and ccache's cache live: outside the repository, never below /tmp. */
export const DPDK_CACHE = process.env.DPDK_HOTPLUG_DPDK_CACHE ?? '/var/cache/dpdk-hotplug';

/** Debian's packages a DPDK build needs: the one list (installed when missing, as root). */
export const BUILD_PACKAGES = [
  'meson',
  'ninja-build',
  'ccache',
  'gcc',
  'pkg-config',
  'python3-pyelftools',
  'libnuma-dev',
  'libpcap-dev',
  'libelf-dev',
  'libbpf-dev',
  'libxdp-dev',
];

/**
 * The drivers built, by their pre-25.07 path: buses and the mempool the EAL needs, the default
 * DUTs' vdev PMDs (net_tun is in net/tap, net_virtio_user in net/virtio), the lab's PCI PMDs.
 * DPDK 25.07 moved Intel's under net/intel/: `driverPaths` maps them to what the tree holds.
 */
export const DRIVERS = [
  'bus/pci',
  'bus/vdev',
  'mempool/ring',
  'net/null',
  'net/ring',
  'net/pcap',
  'net/af_packet',
  'net/af_xdp',
  'net/tap',
  'net/memif',
  'net/virtio',
  'net/vhost',
  'net/bonding',
  'net/failsafe',
  'net/e1000',
  'net/vmxnet3',
];

/** Each driver's folder in this tree (`net/e1000` is `net/intel/e1000` from 25.07). */
export function driverPaths(tree, drivers = DRIVERS) {
  return drivers.map((d) => {
    if (existsSync(join(tree, 'drivers', d))) return d;
    const [cls, name] = d.split('/');
    const moved = `${cls}/intel/${name}`;
    return existsSync(join(tree, 'drivers', moved)) ? moved : d;
  });
}

/**
 * meson's options for this tree: the driver SDK, the drivers above, testpmd only, no tests. A
 * reduced build (certify --bisect) names its own `drivers` and `apps` (none: every app disabled,
 * and the optional libraries too).
 */
export function mesonOptions(tree, { drivers = DRIVERS, apps = ['test-pmd'] } = {}) {
  return [
    '-Denable_driver_sdk=true',
    // DPDK's meson.build defaults to static: testpmd would then be linked statically, and a
    // shared out-of-tree PMD loaded into it (-d) registers a second copy of each library (panic).
    '-Ddefault_library=shared',
    `-Denable_drivers=${driverPaths(tree, drivers).join(',')}`,
    ...(apps.length ? [`-Denable_apps=${apps.join(',')}`] : ['-Ddisable_apps=*', '-Ddisable_libs=*']),
    '-Dtests=false',
    '-Dexamples=',
    '-Denable_docs=false',
    '-Dbuildtype=release',
  ];
}

/** The cache key: the tree's version, then a hash of its commit (or content id) and the options. */
export function buildKey({ version, commit, options }) {
  const hash = createHash('sha256').update(JSON.stringify({ commit, options })).digest('hex').slice(0, 10);
  return `${version}-${hash}`;
}

function run(command, args, opts = {}) {
  const r = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 1 << 28, ...opts });
  if (r.error) throw new Error(`${command}: ${r.error.message}`);
  return r;
}

function must(command, args, opts = {}) {
  const r = run(command, args, opts);
  if (r.status !== 0) {
    const why = `${r.stderr ?? ''}${r.stdout ?? ''}`.trim().split('\n').slice(-15).join('\n');
    throw new Error(`${command} ${args.join(' ')} failed (exit ${r.status}):\n${why}`);
  }
  return (r.stdout ?? '').trim();
}

/** The packages of BUILD_PACKAGES not installed, by dpkg's word. */
export function missingPackages(packages = BUILD_PACKAGES) {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own format fields
  const r = run('dpkg-query', ['-W', '-f=${Package} ${db:Status-Status}\n', ...packages]);
  const installed = new Set(
    (r.stdout ?? '')
      .split('\n')
      .filter((l) => l.endsWith(' installed'))
      .map((l) => l.split(' ')[0]),
  );
  return packages.filter((p) => !installed.has(p));
}

/** Installs what is missing with apt (as root), or throws with the command to run. */
export function ensureBuildPackages(log) {
  const missing = missingPackages();
  if (missing.length === 0) return;
  const command = `apt-get install -y --no-install-recommends ${missing.join(' ')}`;
  if (process.getuid?.() !== 0)
    throw new Error(`building DPDK needs Debian's ${missing.join(', ')}: run ${command}`);
  log(`installing ${missing.join(' ')}`);
  const r = run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (r.status !== 0) throw new Error(`${command} failed (exit ${r.status})`);
}

/** A DPDK source tree holds VERSION and meson.build at its top. */
export function treeVersion(tree) {
  const file = join(tree, 'VERSION');
  if (!existsSync(file) || !existsSync(join(tree, 'meson.build')))
    throw new Error(`${tree} is not a DPDK source tree (no VERSION and meson.build at its top)`);
  return readFileSync(file, 'utf8').trim();
}

/**
 * The source tree to build and what identifies its content:
 *   { tree } a checkout (its HEAD, plus a hash of `git diff HEAD` when it has local changes) or a
 *            plain folder (its path: a plain folder's content is not hashed);
 *   { tag, git } a tag of a git directory, extracted once into <cache>/src/<tag>;
 *   { tarball } a release tarball, extracted once into <cache>/src/<its name>.
 */
export function resolveSource({ tree, tag, git, tarball }, cache = DPDK_CACHE) {
  if (tag) {
    if (!git) throw new Error('--tag needs --git DIR (a DPDK git directory) or DPDK_HOTPLUG_DPDK_GIT');
    const commit = must('git', [`--git-dir=${git}`, 'rev-parse', '--verify', `${tag}^{commit}`]);
    const dest = join(cache, 'src', tag);
    if (!existsSync(join(dest, 'VERSION'))) {
      const staging = `${dest}.new`;
      rmSync(staging, { recursive: true, force: true });
      mkdirSync(staging, { recursive: true });
      must('sh', ['-c', 'git --git-dir="$1" archive "$2" | tar -x -C "$3"', 'sh', git, commit, staging]);
      renameSync(staging, dest);
    }
    return { tree: dest, commit, source: `${tag} of ${git}` };
  }
  if (tarball) {
    const file = resolve(tarball);
    const sum = createHash('sha256').update(readFileSync(file)).digest('hex');
    const dest = join(cache, 'src', basename(file).replace(/\.tar(\.\w+)?$/, ''));
    if (!existsSync(join(dest, 'VERSION'))) {
      const staging = `${dest}.new`;
      rmSync(staging, { recursive: true, force: true });
      mkdirSync(staging, { recursive: true });
      must('tar', ['-x', '--strip-components=1', '-f', file, '-C', staging]);
      renameSync(staging, dest);
    }
    return { tree: dest, commit: `sha256:${sum}`, source: file };
  }
  if (!tree) throw new Error('give one of --tree DIR, --tag TAG (with --git DIR) or --tarball FILE');
  const dir = resolve(tree);
  const head = run('git', ['-C', dir, 'rev-parse', 'HEAD']);
  if (head.status !== 0) return { tree: dir, commit: `path:${dir}`, source: dir };
  const diff = run('git', ['-C', dir, 'diff', 'HEAD']).stdout ?? '';
  const commit = diff
    ? `${head.stdout.trim()}+${createHash('sha256').update(diff).digest('hex').slice(0, 10)}`
    : head.stdout.trim();
  return { tree: dir, commit, source: dir };
}

/** Where one build lives: the meson build folder, the install prefix, its stamp. */
export function buildDirs(key, cache = DPDK_CACHE) {
  const dir = join(cache, 'dpdk', key);
  return { dir, build: join(dir, 'build'), prefix: join(dir, 'prefix'), stamp: join(dir, 'stamp.json') };
}

function duBytes(dir) {
  return Number(must('du', ['-sb', dir]).split(/\s/)[0]);
}

/** The stamps of every cached build, newest version first. */
export function cachedBuilds(cache = DPDK_CACHE) {
  const root = join(cache, 'dpdk');
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .map((k) => join(root, k, 'stamp.json'))
    .filter((f) => existsSync(f))
    .map((f) => JSON.parse(readFileSync(f, 'utf8')))
    .sort(
      (a, b) => b.version.localeCompare(a.version, 'en', { numeric: true }) || b.date.localeCompare(a.date),
    );
}

/**
 * Builds the tree (or reuses the cached build of the same key) and returns its stamp:
 * { key, version, commit, source, options, prefix, build, seconds: { setup, ninja, install },
 *   bytes: { prefix, build }, ccache, date }.
 */
export function buildDpdk(
  source,
  { cache = DPDK_CACHE, force = false, log = () => {}, jobs, drivers, apps } = {},
) {
  const { tree, commit, source: from } = resolveSource(source, cache);
  const version = treeVersion(tree);
  const options = mesonOptions(tree, { drivers, apps });
  const key = buildKey({ version, commit, options });
  const dirs = buildDirs(key, cache);
  if (!force && existsSync(dirs.stamp)) {
    log(`cached: DPDK ${version} (${key}) at ${dirs.prefix}`);
    return JSON.parse(readFileSync(dirs.stamp, 'utf8'));
  }
  ensureBuildPackages(log);
  // A build without a stamp was interrupted: start it again (ccache makes that cheap).
  if (existsSync(dirs.dir)) rmSync(dirs.dir, { recursive: true, force: true });
  mkdirSync(dirs.dir, { recursive: true });
  const ccache = run('ccache', ['--version']).status === 0;
  const env = {
    ...process.env,
    CCACHE_DIR: join(cache, 'ccache'),
    // Paths below the cache are hashed relative to it: two trees of one version share objects.
    CCACHE_BASEDIR: cache,
    // Debian's python3 first: it has python3-pyelftools, which DPDK ≥ 24.x's meson looks for in
    // the python3 on PATH (a pyenv or venv python3 earlier on PATH may not have it).
    PATH: `/usr/bin:${process.env.PATH ?? ''}`,
  };
  const timed = (what, command, args) => {
    log(`${what}: ${command} ${args.join(' ')}`);
    const t0 = performance.now();
    const r = run(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    writeFileSync(join(dirs.dir, `${what}.log`), `${r.stdout ?? ''}${r.stderr ?? ''}`);
    if (r.status !== 0)
      throw new Error(
        `${what} of DPDK ${version} failed (exit ${r.status}); log: ${join(dirs.dir, `${what}.log`)}\n${`${r.stdout}${r.stderr}`.trim().split('\n').slice(-12).join('\n')}`,
      );
    return Math.round((performance.now() - t0) / 100) / 10;
  };
  const seconds = {
    setup: timed('setup', 'meson', ['setup', dirs.build, tree, `--prefix=${dirs.prefix}`, ...options]),
    ninja: timed('ninja', 'ninja', ['-C', dirs.build, ...(jobs ? ['-j', String(jobs)] : [])]),
    install: timed('install', 'meson', ['install', '-C', dirs.build, '--quiet']),
  };
  const stamp = {
    key,
    version,
    commit,
    source: from,
    tree,
    options,
    prefix: dirs.prefix,
    build: dirs.build,
    seconds,
    bytes: { prefix: duBytes(dirs.prefix), build: duBytes(dirs.build) },
    ccache,
    date: new Date().toISOString(),
  };
  writeFileSync(dirs.stamp, `${JSON.stringify(stamp, null, 2)}\n`);
  return stamp;
}

/** True when `dir` is a folder (for the CLI's checks). */
export function isDir(dir) {
  return existsSync(dir) && statSync(dir).isDirectory();
}
