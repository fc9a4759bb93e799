#!/usr/bin/env node
// Fresh-machine set-up, run before `npm test`, `npm run certify` and `npm run bench`.
// It must work before `npm install` has run, so it uses nothing but Node itself.
// Steps: check the platform, install DPDK 22.11 from Debian when missing, install node_modules.
// Each step is skipped when already satisfied, so a warm run costs a few milliseconds.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// What the SDK, the C shim and the test fixtures need from Debian.
const DEBIAN_PACKAGES = [
  'dpdk',
  'dpdk-dev',
  'libdpdk-dev',
  'pkg-config',
  'gcc',
  'libc6-dev',
  'iproute2',
  'libpcap0.8',
  // dpdk-pmdinfo.py (compared with pmd-probe's ELF reader) and dpdk-devbind.py (compared with the
  // kernel helpers' inventory) need these; apt only recommends them.
  'python3-pyelftools',
  'pciutils',
  'kmod',
  // udevadm monitor: the kernel helpers' uevent stream.
  'udev',
];
// The virtual lab (hil/): QEMU and a static busybox for the guest's initramfs. Installed without
// QEMU's recommends (its GUI alone is 40 packages), and optional: the lab says why it cannot run.
const LAB_PACKAGES = ['qemu-system-x86', 'busybox-static'];
// The certificate page is checked in a real browser: Debian's headless Chromium, optional too.
const BROWSER_PACKAGES = ['chromium'];

function fail(message) {
  console.error(`\n[dpdk-hotplug setup] ${message}\n`);
  process.exit(1);
}

function have(cmd, args = ['--version']) {
  return spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
}

function dpdkReady() {
  return (
    have('pkg-config', ['--atleast-version=22.11', 'libdpdk']) &&
    have('gcc') &&
    have('lspci') &&
    have('modprobe') &&
    have('udevadm') &&
    have('/usr/bin/python3', ['-c', 'import elftools']) &&
    spawnSync('sh', ['-c', 'ldconfig -p | grep -q librte_ethdev.so']).status === 0
  );
}

function ensurePlatform() {
  if (process.platform !== 'linux') {
    fail(`DPDK's hotplug framework runs on Linux only; this is ${process.platform}.`);
  }
  const [major] = process.versions.node.split('.').map(Number);
  if (major < 20) fail(`Node ${process.versions.node} is too old: install Node 20 or newer.`);
}

function ensureDpdk() {
  if (dpdkReady()) return;
  const install = `apt-get update && apt-get install -y ${DEBIAN_PACKAGES.join(' ')}`;
  const isDebian = existsSync('/etc/debian_version') && have('apt-get');
  if (!isDebian) {
    fail(
      `DPDK 22.11 (libdpdk, with pkg-config) and gcc are missing and this is not a Debian system.\n` +
        `Install DPDK 22.11 development files and gcc with your distribution's tools, then run again.`,
    );
  }
  if (process.getuid?.() !== 0) fail(`DPDK 22.11 is missing. Run as root:\n  sudo sh -c '${install}'`);
  console.log(`[dpdk-hotplug setup] installing DPDK from Debian: ${DEBIAN_PACKAGES.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const update = spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  const add =
    update.status === 0 &&
    spawnSync('apt-get', ['install', '-y', '-qq', ...DEBIAN_PACKAGES], { stdio: 'inherit', env });
  if (!add || add.status !== 0 || !dpdkReady()) {
    fail(`Installing DPDK failed (no network to Debian's mirrors?). Run by hand:\n  ${install}`);
  }
}

function ensureNodeModules() {
  const marker = join(root, 'node_modules', '.package-lock.json');
  const lock = join(root, 'package-lock.json');
  const stale =
    !existsSync(marker) || (existsSync(lock) && statSync(lock).mtimeMs > statSync(marker).mtimeMs);
  if (!stale) return;
  const cmd = existsSync(lock) ? 'ci' : 'install';
  console.log(`[dpdk-hotplug setup] npm ${cmd}`);
  const r = spawnSync('npm', [cmd, '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) fail(`npm ${cmd} failed; see above.`);
}

/** Optional packages: installed when root with apt, else the command to run is printed. */
function ensureOptional(present, packages, what, otherwise) {
  if (present) return;
  if (process.getuid?.() !== 0 || !have('apt-get')) {
    console.log(
      `[dpdk-hotplug setup] ${what} needs: apt-get install --no-install-recommends ${packages.join(' ')}`,
    );
    return;
  }
  console.log(`[dpdk-hotplug setup] installing ${what}: ${packages.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const r = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], {
    stdio: 'inherit',
    env,
  });
  if (r.status !== 0) console.log(`[dpdk-hotplug setup] ${packages.join(' ')} did not install; ${otherwise}`);
}

function ensureLab() {
  ensureOptional(
    have('qemu-system-x86_64') && existsSync('/bin/busybox'),
    LAB_PACKAGES,
    "the virtual lab's QEMU",
    'the virtual lab will say so and its smoke test skip',
  );
  ensureOptional(
    have('chromium'),
    BROWSER_PACKAGES,
    'the headless browser that checks the certificate page',
    'that test skips, saying so',
  );
}

ensurePlatform();
ensureDpdk();
ensureLab();
ensureNodeModules();
const version = execFileSync('pkg-config', ['--modversion', 'libdpdk'], { encoding: 'utf8' }).trim();
if (!process.env.DPDK_HOTPLUG_QUIET)
  console.log(`[dpdk-hotplug setup] ready: DPDK ${version}, Node ${process.version}`);
