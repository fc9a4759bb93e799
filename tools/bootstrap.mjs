#!/usr/bin/env node
// Fresh-machine set-up: `node tools/bootstrap.mjs JOB`, run before each npm script (package.json's
// pre-scripts). It installs what that job needs and nothing more, and never changes the machine's
// defaults. It must work before `npm install` has run, so it uses nothing but Node itself.
// Each step is skipped when already satisfied, so a warm run costs a few milliseconds.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function have(cmd, args = ['--version']) {
  return spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
}

/**
 * Debian's packages, in groups: what each group is for, how to tell it is there, whether a job
 * that needs it fails without it (required) or runs and says why a part is skipped (optional).
 * Everything installs with --no-install-recommends: libdpdk-dev depends on every PMD library, and
 * QEMU's recommends alone are 40 packages of GUI.
 */
export const GROUPS = {
  dpdk: {
    what: 'DPDK 22.11 and a C compiler',
    // iproute2: the veth pair of net_pcap's and net_af_packet's DUTs (often there already).
    packages: ['dpdk', 'dpdk-dev', 'libdpdk-dev', 'pkg-config', 'gcc', 'libc6-dev', 'iproute2'],
    ready: () =>
      have('pkg-config', ['--atleast-version=22.11', 'libdpdk']) &&
      have('gcc') &&
      have('ip', ['-V']) &&
      have('sh', ['-c', 'command -v dpdk-testpmd']) &&
      spawnSync('sh', ['-c', 'ldconfig -p | grep -q librte_ethdev.so']).status === 0,
    required: true,
  },
  // What the tests compare with: dpdk-pmdinfo.py (pmd-probe's ELF reader), dpdk-devbind.py (the
  // kernel helpers' inventory), modprobe and udevadm monitor (the kernel helpers).
  testTools: {
    what: "the tests' comparisons with DPDK's scripts and the kernel's tools",
    packages: ['python3-pyelftools', 'pciutils', 'kmod', 'udev'],
    ready: () =>
      have('lspci') &&
      have('modprobe') &&
      have('udevadm') &&
      have('/usr/bin/python3', ['-c', 'import elftools']),
    required: true,
  },
  // The release matrix's root filesystems (tools/matrix/rootfs.mjs): debootstrap makes each
  // release's Debian; unshare and chroot are util-linux's and coreutils' (always there).
  matrixRoots: {
    what: "the release matrix's root filesystems",
    packages: ['debootstrap'],
    ready: () => have('sh', ['-c', 'command -v debootstrap']),
    required: true,
  },
  // The virtual lab (hil/): QEMU and a static busybox for the guest's initramfs.
  lab: {
    what: "the virtual lab's QEMU",
    packages: ['qemu-system-x86', 'busybox-static', 'kmod'],
    ready: () => have('qemu-system-x86_64') && existsSync('/bin/busybox') && have('modprobe'),
    required: false,
    otherwise: 'the virtual lab will say so and its smoke test skip',
    // QEMU emulates igb, and igb's SR-IOV virtual functions, since 8.0; bookworm has 7.2.
    newer: {
      command: 'qemu-system-x86_64',
      package: 'qemu-system-x86',
      atLeast: 8,
      why: 'igb and its SR-IOV VFs',
    },
  },
  // The certificate page is checked in a real browser: Debian's headless Chromium.
  browser: {
    what: 'the headless browser that checks the certificate page',
    packages: ['chromium'],
    ready: () => have('chromium'),
    required: false,
    otherwise: 'that test skips, saying so',
    // Chromium registers itself as x-www-browser and gnome-www-browser: the machine's default
    // browser is not ours to set, so these are removed again when the install created them.
    // (Other new groups stay: a library's alternative may be what makes it load.)
    dropNewAlternatives: ['x-www-browser', 'gnome-www-browser'],
  },
};

/** What each job needs: the one place that says which job installs what. */
export const JOBS = {
  certify: ['dpdk'],
  bench: ['dpdk'],
  matrix: ['dpdk', 'matrixRoots'],
  lab: ['dpdk', 'lab'],
  // `npm test` runs every package's tests, the lab's smoke run and the certificate's browser test.
  test: ['dpdk', 'testTools', 'lab', 'browser'],
};

/** The Debian packages a job installs (each once). */
export function packagesOf(job) {
  return [...new Set(JOBS[job].flatMap((g) => GROUPS[g].packages))];
}

function say(message) {
  console.log(`[dpdk-hotplug setup] ${message}`);
}

function fail(message) {
  console.error(`\n[dpdk-hotplug setup] ${message}\n`);
  process.exit(1);
}

function ensurePlatform() {
  if (process.platform !== 'linux') {
    fail(`DPDK's hotplug framework runs on Linux only; this is ${process.platform}.`);
  }
  const [major] = process.versions.node.split('.').map(Number);
  if (major < 20) fail(`Node ${process.versions.node} is too old: install Node 20 or newer.`);
}

/** update-alternatives' selections: name → "mode path" (auto/manual, the chosen target). */
function alternatives() {
  const r = spawnSync('update-alternatives', ['--get-selections'], { encoding: 'utf8' });
  const map = new Map();
  if (r.status !== 0) return map;
  for (const line of r.stdout.split('\n')) {
    const [name, mode, path] = line.trim().split(/\s+/);
    if (name && mode && path) map.set(name, { mode, path });
  }
  return map;
}

/**
 * Puts every alternative an install changed back as it was (a package's postinst may make itself
 * the default: Chromium does for x-www-browser), and removes the groups named in `dropNew` that
 * it created.
 */
function restoreAlternatives(before, dropNew) {
  const after = alternatives();
  for (const [name, now] of after) {
    const was = before.get(name);
    if (!was) {
      if (dropNew.includes(name)) {
        spawnSync('update-alternatives', ['--remove-all', name], { stdio: 'ignore' });
        say(`removed the alternative ${name} (${now.path}) the install created: defaults stay as they were`);
      }
      continue;
    }
    if (was.mode === now.mode && was.path === now.path) continue;
    if (was.mode === 'auto') spawnSync('update-alternatives', ['--auto', name], { stdio: 'ignore' });
    const back = alternatives().get(name);
    if (back?.path !== was.path)
      spawnSync('update-alternatives', ['--set', name, was.path], { stdio: 'ignore' });
    say(`restored the alternative ${name} to ${was.path} (${was.mode}); the install had set ${now.path}`);
  }
}

let updated = false;

/** Where the set-up writes the one apt source it may add: Debian's backports of this release. */
export const BACKPORTS_SOURCE = '/etc/apt/sources.list.d/dpdk-hotplug-backports.sources';

/** The major version a command prints (`--version`), or undefined when it is missing. */
export function majorVersion(command) {
  const r = spawnSync(command, ['--version'], { encoding: 'utf8' });
  const m = r.status === 0 ? /version (\d+)\./.exec(r.stdout) : null;
  return m ? Number(m[1]) : undefined;
}

/** The Debian codename of this machine (`bookworm`), from os-release. */
function codename(osRelease = '/etc/os-release') {
  if (!existsSync(osRelease)) return undefined;
  return /^VERSION_CODENAME=(\S+)$/m.exec(readFileSync(osRelease, 'utf8'))?.[1];
}

/**
 * A package newer than the release's, from Debian's backports: adds the `<codename>-backports`
 * source (once; backports are pinned at 100 by Debian, so nothing else is upgraded from them)
 * and installs the package from it. Says what it did; true when the command is new enough after.
 */
export function ensureBackport(newer, { source = BACKPORTS_SOURCE, osRelease } = {}) {
  const current = majorVersion(newer.command);
  if (current !== undefined && current >= newer.atLeast) return true;
  const release = codename(osRelease);
  const suite = `${release}-backports`;
  const command = `apt-get install -t ${suite} --no-install-recommends ${newer.package}`;
  const was = current === undefined ? 'missing' : `${current}`;
  if (!release || process.getuid?.() !== 0 || !have('apt-get', ['--version'])) {
    say(
      `${newer.package} ${was} is older than ${newer.atLeast} (${newer.why}); as root on Debian: add ${suite} to apt's sources, then ${command}`,
    );
    return false;
  }
  if (!existsSync(source)) {
    say(
      `${newer.package} ${was} is older than ${newer.atLeast}, needed for ${newer.why}: adding Debian's ${suite} to apt's sources (${source}; backports are pinned at 100, nothing else is upgraded from them)`,
    );
    writeFileSync(
      source,
      `# Added by dpdk-hotplug's set-up (tools/bootstrap.mjs) for ${newer.package} >= ${newer.atLeast}.\nTypes: deb\nURIs: http://deb.debian.org/debian\nSuites: ${suite}\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n`,
    );
    updated = false;
  }
  say(`installing ${newer.package} from ${suite}: ${command}`);
  if (!aptInstall(['-t', suite, newer.package])) {
    say(
      `${newer.package} from ${suite} did not install; the lab runs on ${newer.package} ${was} without ${newer.why}`,
    );
    return false;
  }
  const now = majorVersion(newer.command);
  say(`${newer.command} is now ${now ?? 'missing'} (from ${suite})`);
  return now !== undefined && now >= newer.atLeast;
}

/**
 * apt-get install of `packages` without recommends, defaults kept (`dropNewAlternatives`: groups
 * to remove again if the install created them); true when it worked.
 */
export function aptInstall(packages, dropNewAlternatives = []) {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (!updated) {
    if (spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env }).status !== 0) return false;
    updated = true;
  }
  const before = alternatives();
  const r = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], {
    stdio: 'inherit',
    env,
  });
  restoreAlternatives(before, dropNewAlternatives);
  return r.status === 0;
}

/** Makes sure one group is there: installed when root with apt; else what to run, said plainly. */
function ensureGroup(group) {
  ensurePackages(group);
  if (group.newer && group.ready()) ensureBackport(group.newer);
}

function ensurePackages(group) {
  if (group.ready()) return;
  const command = `apt-get install --no-install-recommends ${group.packages.join(' ')}`;
  const isDebian = existsSync('/etc/debian_version') && have('apt-get');
  const why = !isDebian ? 'this is not a Debian system' : process.getuid?.() !== 0 ? 'not root' : undefined;
  if (why) {
    if (!group.required) return say(`${group.what} is missing (${why}); ${group.otherwise}: ${command}`);
    if (!isDebian)
      fail(
        `${group.what} are missing and ${why}: install them with your distribution's tools (Debian: ${command}), then run again.`,
      );
    fail(`${group.what} are missing. Run as root:\n  sudo sh -c 'apt-get update && ${command}'`);
  }
  say(`installing ${group.what}: ${group.packages.join(' ')}`);
  const ok = aptInstall(group.packages, group.dropNewAlternatives) && group.ready();
  if (ok) return;
  if (group.required)
    fail(`Installing ${group.what} failed (no network to Debian's mirrors?). Run by hand:\n  ${command}`);
  say(`${group.packages.join(' ')} did not install; ${group.otherwise}`);
}

function ensureNodeModules() {
  const marker = join(root, 'node_modules', '.package-lock.json');
  const lock = join(root, 'package-lock.json');
  const stale =
    !existsSync(marker) || (existsSync(lock) && statSync(lock).mtimeMs > statSync(marker).mtimeMs);
  if (!stale) return;
  const cmd = existsSync(lock) ? 'ci' : 'install';
  say(`npm ${cmd}`);
  const r = spawnSync('npm', [cmd, '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) fail(`npm ${cmd} failed; see above.`);
}

/** The set-up of one job: the platform, that job's Debian packages, node_modules. */
export function setUp(job) {
  const groups = JOBS[job];
  if (!groups) {
    console.error(
      `bootstrap.mjs: unknown job ${JSON.stringify(job)}; one of ${Object.keys(JOBS).join(', ')}`,
    );
    process.exit(2);
  }
  ensurePlatform();
  for (const name of groups) ensureGroup(GROUPS[name]);
  ensureNodeModules();
  const version = execFileSync('pkg-config', ['--modversion', 'libdpdk'], { encoding: 'utf8' }).trim();
  if (!process.env.DPDK_HOTPLUG_QUIET) say(`ready for ${job}: DPDK ${version}, Node ${process.version}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  if (args.length !== 1 || args[0] === '--help') {
    console.error(`usage: node tools/bootstrap.mjs JOB   (JOB: ${Object.keys(JOBS).join(', ')})`);
    process.exit(args[0] === '--help' ? 0 : 2);
  }
  setUp(args[0]);
}
