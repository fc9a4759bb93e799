// Root filesystems for the matrix: made with debootstrap and apt, cached outside the repository,
// entered with chroot inside a private mount namespace, deleted only when nothing is mounted in them.
import { spawn, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { isUnder, mountsUnder, parseMountinfo } from '@dpdk-hotplug/linux';
import { cacheKey, enterScript, mirrorFromSources } from './lib.mjs';

export const DEFAULT_CACHE = process.env.DPDK_HOTPLUG_MATRIX_CACHE ?? '/var/cache/dpdk-hotplug/matrix';
export const PATH_IN_ROOT = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export function log(message) {
  process.stderr.write(`[matrix] ${message}\n`);
}

/** Where a release's root filesystem, its stamp and its work copy live. */
export function releaseDirs(release, cache = DEFAULT_CACHE) {
  // A source-built DPDK runs on the host: its folder holds only the work copy and the lock.
  // `folder`: a root filesystem of the same suite with other packages (the CI templates' DPDK-less one).
  const dir = join(cache, release.source ? `dpdk-${release.id}` : (release.folder ?? release.suite));
  return {
    dir,
    rootfs: join(dir, 'rootfs'),
    staging: join(dir, 'rootfs.new'),
    stamp: join(dir, 'stamp.json'),
    work: join(dir, 'work'),
  };
}

/** The host's Debian mirror, from /etc/apt/sources.list and sources.list.d. */
export function hostMirror() {
  const files = ['/etc/apt/sources.list'];
  const d = '/etc/apt/sources.list.d';
  if (existsSync(d)) {
    for (const f of readdirSync(d).sort()) if (/\.(list|sources)$/.test(f)) files.push(join(d, f));
  }
  const texts = files.filter((f) => existsSync(f)).map((f) => readFileSync(f, 'utf8'));
  return mirrorFromSources(texts) ?? 'http://deb.debian.org/debian';
}

/**
 * Every mount table that can be seen: one per mount namespace and root directory among the
 * running processes, as `{ root, text }`. A chrooted process's table is relative to its root
 * (which is how a run's private namespace is seen: every process in it is chrooted).
 */
export function allMountinfos() {
  const seen = new Map();
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const root = readlinkSync(`/proc/${pid}/root`);
      const key = `${readlinkSync(`/proc/${pid}/ns/mnt`)} ${root}`;
      if (!seen.has(key)) seen.set(key, { root, text: readFileSync(`/proc/${pid}/mountinfo`, 'utf8') });
    } catch {
      // gone, or not ours to read
    }
  }
  if (seen.size === 0) seen.set('self', { root: '/', text: readFileSync('/proc/self/mountinfo', 'utf8') });
  return [...seen.values()];
}

/**
 * Why `dir` must not be deleted, or null when it may be. `mountinfos` are the mount tables of
 * every mount namespace and root that can be seen (a run's private namespace has its own, read
 * through a process in it): a text (seen from /) or `{ root, text }` (read from a process whose
 * root is `root`, a chroot), read by @dpdk-hotplug/linux's one mount-table reader. `roots` are
 * processes' root directories (a live chroot in the tree).
 */
export function deletionRefusal(dir, { mountinfos = [], roots = [] } = {}) {
  const d = resolve(dir);
  if (d === '/' || d.split('/').filter(Boolean).length < 2) return `refusing to delete ${d}: too close to /`;
  const mounted = new Set();
  for (const table of mountinfos) {
    const { root = '/', text } = typeof table === 'string' ? { text: table } : table;
    for (const m of mountsUnder(parseMountinfo(text), d, root)) mounted.add(m.target);
  }
  if (mounted.size > 0) {
    return `refusing to delete ${d}: something is mounted under it (${[...mounted].sort().join(', ')}); a run may still be inside it`;
  }
  const inside = roots.filter((r) => isUnder(r.root, d));
  if (inside.length > 0) {
    return `refusing to delete ${d}: process ${inside.map((r) => r.pid).join(', ')} has its root in it`;
  }
  return null;
}

/** Every process's root directory (a chroot shows up as its root). */
export function processRoots() {
  const roots = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      roots.push({ pid: Number(pid), root: readlinkSync(`/proc/${pid}/root`) });
    } catch {
      // gone
    }
  }
  return roots;
}

/**
 * Deletes a root filesystem (or any tree a chroot ran in), but only when no mount namespace has
 * anything mounted under it and no process has its root in it, and never across a file system
 * boundary (`rm -rf --one-file-system`). Throws with the reason otherwise.
 */
export function removeTree(dir, probe = { mountinfos: allMountinfos(), roots: processRoots() }) {
  const target = resolve(dir);
  if (!existsSync(target)) return;
  const refusal = deletionRefusal(target, probe);
  if (refusal) throw new Error(refusal);
  const r = spawnSync('rm', ['-rf', '--one-file-system', '--', target], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`rm -rf --one-file-system ${target} failed (${r.status})`);
}

/**
 * Takes a release's lock (`<dir>/lock`, holding the owner's pid), so two matrix runs never share
 * a root filesystem or a work copy; a lock whose process is gone is taken over. Returns release().
 */
export function lockRelease(dir) {
  mkdirSync(dir, { recursive: true });
  const lock = join(dir, 'lock');
  try {
    writeFileSync(lock, String(process.pid), { flag: 'wx' });
  } catch {
    const owner = Number.parseInt(readFileSync(lock, 'utf8'), 10);
    if (owner && owner !== process.pid && existsSync(`/proc/${owner}`)) {
      throw new Error(`${dir} is in use by process ${owner} (${lock}); wait for it to end`);
    }
    writeFileSync(lock, String(process.pid));
  }
  return () => {
    if (existsSync(lock) && readFileSync(lock, 'utf8') === String(process.pid)) rmSync(lock, { force: true });
  };
}

/** The runs in a root filesystem started by this process (their process groups). */
const running = new Set();

/**
 * Signals every run this process started (its whole process group; inside.mjs then kills the
 * step it runs). Their namespaces, and the mounts in them, end with their processes.
 */
export function stopRuns(signal = 'SIGTERM') {
  for (const child of running) {
    try {
      process.kill(-child.pid, signal);
    } catch {
      // already gone
    }
  }
}

/**
 * Runs `command` (sh) inside `root`, chrooted in a private mount namespace of its own: /proc,
 * /sys, /dev, a tmpfs on /run and /tmp, and `binds`, all gone when the namespace's last process
 * ends. Resolves with the exit code; output goes to `logFile` (appended) and, with `echo`, to stderr.
 */
export function runInRoot({ root, command, binds = [], env = {}, cwd = '/', logFile, echo = false }) {
  const script = enterScript({
    root,
    command,
    binds,
    cwd,
    env: { PATH: PATH_IN_ROOT, HOME: '/root', LANG: 'C.UTF-8', ...env },
  });
  return new Promise((resolvePromise, reject) => {
    // Its own process group: stopRuns() can signal everything in it (unshare, chroot, the shell).
    const child = spawn('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script], {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.add(child);
    const chunks = [];
    const out = (b) => {
      chunks.push(b);
      if (echo) process.stderr.write(b);
    };
    child.stdout.on('data', out);
    child.stderr.on('data', out);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      running.delete(child);
      const text = Buffer.concat(chunks).toString();
      if (logFile) writeFileSync(logFile, text, { flag: 'a' });
      resolvePromise({ code: code ?? (signal ? 128 : 1), output: text });
    });
  });
}

function readStamp(path) {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return null;
  }
}

function tail(text, n = 15) {
  return text.trimEnd().split('\n').slice(-n).join('\n');
}

/**
 * Makes (once) the release's root filesystem: `debootstrap --variant=minbase`, then its DPDK,
 * Node and build tools with apt inside it. Cached by suite, mirror and package list (a stamp
 * file); a stale or half-made one is deleted first, through removeTree's checks.
 */
export async function prepareRootfs(release, { cache = DEFAULT_CACHE, force = false } = {}) {
  if (release.host) throw new Error(`release ${release.id} is the host: nothing to prepare`);
  if (process.getuid?.() !== 0)
    throw new Error('preparing a root filesystem needs root (debootstrap, chroot)');
  for (const tool of ['debootstrap', 'unshare', 'chroot']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status !== 0) {
      throw new Error(`${tool} is missing: apt-get install debootstrap util-linux coreutils`);
    }
  }
  const dirs = releaseDirs(release, cache);
  const mirror = hostMirror();
  const key = cacheKey({
    suite: release.suite,
    mirror,
    packages: release.packages,
    aptOptions: release.aptOptions,
  });
  const stamp = readStamp(dirs.stamp);
  const readyFile = release.readyFile ?? 'usr/bin/node';
  if (!force && stamp?.key === key && existsSync(join(dirs.rootfs, readyFile))) {
    log(
      `${release.suite}: cached in ${dirs.rootfs} (key ${key}, made ${stamp.preparedAt} in ${stamp.seconds} s)`,
    );
    return { ...stamp, cached: true, rootfs: dirs.rootfs };
  }
  const started = Date.now();
  mkdirSync(dirs.dir, { recursive: true });
  removeTree(dirs.staging);
  const logFile = join(dirs.dir, 'prepare.log');
  writeFileSync(logFile, `prepare ${release.suite} key ${key} mirror ${mirror}\n`);

  log(`${release.suite}: debootstrap --variant=minbase ${release.suite} from ${mirror}`);
  const boot = spawnSync('debootstrap', ['--variant=minbase', release.suite, dirs.staging, mirror], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  writeFileSync(logFile, `${boot.stdout}\n${boot.stderr}`, { flag: 'a' });
  if (boot.status !== 0) {
    throw new Error(
      `debootstrap ${release.suite} failed (see ${logFile}):\n${tail(boot.stdout + boot.stderr)}`,
    );
  }
  const debootstrapSeconds = (Date.now() - started) / 1000;
  log(`${release.suite}: debootstrap done in ${debootstrapSeconds.toFixed(0)} s`);

  // Name resolution for apt, and no service started by a package's postinst.
  copyFileSync('/etc/resolv.conf', join(dirs.staging, 'etc/resolv.conf'));
  writeFileSync(join(dirs.staging, 'usr/sbin/policy-rc.d'), '#!/bin/sh\nexit 101\n', { mode: 0o755 });

  const apt = ['apt-get', '-y', '-q', ...release.aptOptions];
  const install = [
    `${apt.join(' ')} update`,
    `${apt.join(' ')} install --no-install-recommends ${release.packages.join(' ')}`,
    'apt-get clean',
  ].join(' && ');
  log(`${release.suite}: apt-get install ${release.packages.join(' ')}`);
  const r = await runInRoot({
    root: dirs.staging,
    command: install,
    env: { DEBIAN_FRONTEND: 'noninteractive' },
    logFile,
  });
  if (r.code !== 0) {
    throw new Error(`apt-get in ${release.suite} failed (see ${logFile}):\n${tail(r.output)}`);
  }
  const versions = await runInRoot({
    root: dirs.staging,
    // dpkg-query's format, $-escaped for sh's double quotes.
    // Each line `none` when absent (a root without DPDK or Node: the CI templates' one).
    command: `(pkg-config --modversion libdpdk 2>/dev/null || echo none) && (node --version 2>/dev/null || echo none) && (dpkg-query -W -f "\\\${Version}\\n" dpdk 2>/dev/null || echo none)`,
  });
  const [dpdk = '?', node = '?', dpdkPackage = '?'] = versions.output.trim().split('\n');

  removeTree(dirs.rootfs);
  renameSync(dirs.staging, dirs.rootfs);
  const seconds = Math.round((Date.now() - started) / 1000);
  const record = {
    key,
    suite: release.suite,
    mirror,
    packages: release.packages,
    aptOptions: release.aptOptions,
    dpdk,
    dpdkPackage,
    node,
    preparedAt: new Date().toISOString(),
    seconds,
    debootstrapSeconds: Math.round(debootstrapSeconds),
  };
  writeFileSync(dirs.stamp, `${JSON.stringify(record, null, 2)}\n`);
  log(
    `${release.suite}: ready in ${seconds} s (debootstrap ${record.debootstrapSeconds} s): DPDK ${dpdk}, Node ${node}`,
  );
  return { ...record, cached: false, rootfs: dirs.rootfs };
}
