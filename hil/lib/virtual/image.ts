import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { $ } from 'zx';
import { LabError } from '../errors.js';
import { type CpioEntry, initramfs } from './initramfs.js';

/** Everything a virtual lab boots: QEMU, a Debian kernel with its modules, and our initramfs. */
export interface LabImage {
  cacheDir: string;
  qemu: string;
  qemuVersion: string;
  kernelVersion: string;
  vmlinuz: string;
  /**
   * What QEMU boots (`-kernel`): the kernel unpacked from vmlinuz as an ELF with a PVH entry,
   * which skips SeaBIOS's real-mode boot and the xz decompression under emulation (63 s → 17 s
   * to the guest's init, measured under load), or vmlinuz itself when it has none.
   */
  kernel: string;
  initrd: string;
  /** `modprobe -d` root: `<it>/lib/modules/<kernelVersion>`. */
  modulesRoot: string;
  /** igb_uio built from Debian's dpdk-kmods-dkms for the guest kernel, or why it could not be. */
  igbUio: { module: string } | { missing: string };
}

export const DEFAULT_CACHE = '/var/cache/dpdk-hotplug/lab';

/** What the guest needs before it can mount the host's root: virtio-pci and 9p over virtio. */
const BOOT_MODULES = [
  'kernel/drivers/virtio/virtio_pci.ko',
  'kernel/net/9p/9pnet_virtio.ko',
  'kernel/fs/9p/9p.ko',
];

/**
 * The guest's /init: load the boot modules, mount the host's / read-only over 9p and the run's
 * folder read-write at the same path, tmpfs on /tmp and /run, then switch_root and run the
 * run's guest.sh. The machine powers off when it returns (or panics, which -no-reboot ends).
 */
/** What the guest's init prints first when booted for the accelerator probe. */
export const PROBE_REACHED = 'dphp-init: the guest reached its init';

const INIT = `#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
# The accelerator probe (accel.ts) only asks whether the kernel gets this far.
grep -q dphp.probe /proc/cmdline && { echo "${PROBE_REACHED}"; echo o > /proc/sysrq-trigger; sleep 10; }
for m in $(cat /modules.list); do insmod /modules/$m || echo "dphp-init: insmod $m failed"; done
lab=$(sed -n 's/.*dphp.lab=\\([^ ]*\\).*/\\1/p' /proc/cmdline)
opts=trans=virtio,version=9p2000.L,msize=512000
# The host's root is only read, and nothing the guest reads there changes during a run (the run's
# files are in the lab folder, mounted uncached): cache=loose keeps what was read in the guest,
# where every uncached open, stat and read is a 9p round trip under emulation (Node's and
# Playwright's thousands of module files).
mount -t 9p -o $opts,ro,cache=loose hostroot /newroot || { echo "dphp-init: cannot mount the host root"; exec sh; }
mount -t 9p -o $opts lab /newroot$lab || echo "dphp-init: cannot mount the lab folder $lab"
mkdir -p /hostroot && mount --bind /newroot /hostroot
mount -t tmpfs tmpfs /newroot/tmp; mount -t tmpfs tmpfs /newroot/run
# What the host needs seen under the fresh tmpfs (a checkout in /tmp): bound back from the host view.
for keep in $(sed -n 's/.*dphp.keep=\\([^ ]*\\).*/\\1/p' /proc/cmdline | tr ',' ' '); do
  case $keep in /tmp/*|/run/*) mkdir -p /newroot$keep && mount --bind /hostroot$keep /newroot$keep ;; esac
done
mount --move /dev /newroot/dev; mount --move /proc /newroot/proc; mount --move /sys /newroot/sys
exec switch_root /newroot /bin/sh -c "sh $lab/guest.sh > $lab/guest.log 2>&1; sync; echo o > /proc/sysrq-trigger; sleep 10"
`;

function log(message: string): void {
  process.stderr.write(`[lab] ${message}\n`);
}

async function which(cmd: string): Promise<string | null> {
  const r = await $`command -v ${cmd}`.nothrow().quiet();
  return r.exitCode === 0 ? r.stdout.trim() : null;
}

async function aptInstall(packages: string[]): Promise<void> {
  if (process.getuid?.() !== 0 || !existsSync('/usr/bin/apt-get')) {
    throw new LabError('PREPARE_FAILED', `missing ${packages.join(', ')}`, {
      hint: `run as root on Debian: apt-get install -y ${packages.join(' ')}`,
    });
  }
  log(`installing ${packages.join(' ')} from Debian`);
  const r = await $`env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${packages}`
    .nothrow()
    .quiet();
  if (r.exitCode !== 0) {
    throw new LabError('PREPARE_FAILED', `apt-get install ${packages.join(' ')} failed`, {
      hint: r.stderr.trim().split('\n').at(-1) ?? 'see apt-get output',
    });
  }
}

/** A 64-bit ELF without a PT_INTERP program header runs without a dynamic loader (in an initramfs). */
function isStaticElf(path: string): boolean {
  if (!existsSync(path)) return false;
  const b = readFileSync(path);
  if (b.length < 64 || b.readUInt32BE(0) !== 0x7f454c46 || b[4] !== 2) return false;
  const phoff = Number(b.readBigUInt64LE(0x20));
  const phentsize = b.readUInt16LE(0x36);
  const phnum = b.readUInt16LE(0x38);
  for (let i = 0; i < phnum; i++) if (b.readUInt32LE(phoff + i * phentsize) === 3) return false;
  return true;
}

async function staticBusybox(): Promise<string> {
  const isStatic = async () => isStaticElf('/bin/busybox');
  if (!(await isStatic())) await aptInstall(['busybox-static']);
  if (!(await isStatic()))
    throw new LabError('PREPARE_FAILED', '/bin/busybox is not static', {
      hint: 'apt-get install busybox-static',
    });
  return '/bin/busybox';
}

async function kernelPackage(): Promise<{ name: string; version: string }> {
  const deps = (await $`apt-cache depends linux-image-amd64`.nothrow().quiet()).stdout;
  const name = /Depends: (linux-image-(\S+))/.exec(deps);
  if (!name) {
    throw new LabError('PREPARE_FAILED', 'cannot find a Debian kernel package (linux-image-amd64)', {
      hint: 'this lab needs Debian (bookworm) package lists: apt-get update',
    });
  }
  return { name: name[1]!, version: name[2]! };
}

/** The boot modules and their dependencies, dependencies first, from modules.dep. */
function bootModules(modulesDir: string): string[] {
  const dep = new Map<string, string[]>();
  for (const line of readFileSync(join(modulesDir, 'modules.dep'), 'utf8').split('\n')) {
    const [mod, rest] = line.split(':');
    if (mod) dep.set(mod, (rest ?? '').trim().split(/\s+/).filter(Boolean));
  }
  const order: string[] = [];
  const visit = (m: string) => {
    if (order.includes(m)) return;
    for (const d of [...(dep.get(m) ?? [])].reverse()) visit(d);
    order.push(m);
  };
  for (const m of BOOT_MODULES) visit(m);
  return order;
}

/**
 * Prepares (once, then from the cache) what the virtual lab boots: QEMU and a static busybox
 * from Debian, Debian's kernel unpacked with `dpkg -x` and its modules indexed, and the
 * initramfs. Needs root and Debian's package lists the first time; says what to run otherwise.
 */
export async function prepareLabImage(cacheDir = DEFAULT_CACHE): Promise<LabImage> {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new LabError(
      'NOT_SUPPORTED',
      `the virtual lab runs on x86-64 Linux, not ${process.platform}/${process.arch}`,
    );
  }
  mkdirSync(cacheDir, { recursive: true });
  let qemu = await which('qemu-system-x86_64');
  if (!qemu) {
    await aptInstall(['qemu-system-x86']);
    qemu = await which('qemu-system-x86_64');
  }
  if (!qemu)
    throw new LabError(
      'PREPARE_FAILED',
      'qemu-system-x86_64 is still missing after installing qemu-system-x86',
    );
  const qemuVersion = /version (\S+)/.exec((await $`${qemu} --version`.quiet()).stdout)?.[1] ?? 'unknown';
  const busybox = await staticBusybox();

  const pkg = await kernelPackage();
  const kernelDir = join(cacheDir, `kernel-${pkg.version}`);
  const modulesDir = join(kernelDir, 'lib/modules', pkg.version);
  const vmlinuz = join(kernelDir, 'boot', `vmlinuz-${pkg.version}`);
  if (!existsSync(join(modulesDir, 'modules.dep'))) {
    const debs = join(cacheDir, 'debs');
    mkdirSync(debs, { recursive: true });
    let deb = readdirSync(debs).find((f) => f.startsWith(`${pkg.name}_`) && f.endsWith('.deb'));
    if (!deb) {
      log(`downloading ${pkg.name}`);
      const r = await $({ cwd: debs })`apt-get download ${pkg.name}`.nothrow().quiet();
      deb = readdirSync(debs).find((f) => f.startsWith(`${pkg.name}_`) && f.endsWith('.deb'));
      if (r.exitCode !== 0 || !deb) {
        throw new LabError('PREPARE_FAILED', `apt-get download ${pkg.name} failed`, {
          hint: r.stderr.trim().split('\n').at(-1) ?? 'check the network and apt sources',
        });
      }
    }
    log(`unpacking ${deb}`);
    await $`dpkg -x ${join(debs, deb)} ${kernelDir}`.quiet();
    await $`depmod -b ${kernelDir} ${pkg.version}`.quiet();
  }

  const kernel = pvhKernel(vmlinuz, join(kernelDir, 'boot', `vmlinux-pvh-${pkg.version}`));
  const modules = bootModules(modulesDir);
  const hash = createHash('sha256').update(INIT).update(modules.join(',')).digest('hex').slice(0, 12);
  const initrd = join(cacheDir, `initramfs-${pkg.version}-${hash}.cpio.gz`);
  if (!existsSync(initrd)) {
    const entries: CpioEntry[] = [
      ...['bin', 'proc', 'sys', 'dev', 'newroot', 'modules'].map((path) => ({ path, type: 'dir' as const })),
      { path: 'bin/busybox', type: 'file', data: readFileSync(busybox), mode: 0o755 },
      { path: 'init', type: 'file', data: INIT, mode: 0o755 },
      { path: 'modules.list', type: 'file', data: `${modules.map((m) => m.split('/').at(-1)).join('\n')}\n` },
      ...modules.map((m) => ({
        path: `modules/${m.split('/').at(-1)}`,
        type: 'file' as const,
        data: readFileSync(join(modulesDir, m)),
      })),
    ];
    writeFileSync(initrd, initramfs(entries));
  }
  const igbUio = await buildIgbUio(cacheDir, pkg.version, kernelDir).then(
    (module) => ({ module }),
    (e: Error) => ({ missing: e.message }),
  );
  return {
    cacheDir,
    qemu,
    qemuVersion,
    kernelVersion: pkg.version,
    vmlinuz,
    kernel,
    initrd,
    modulesRoot: kernelDir,
    igbUio,
  };
}

/** Whether an ELF file has Xen's PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY), which QEMU boots directly. */
function hasPvhEntry(elf: Buffer): boolean {
  if (elf.length < 64 || elf.readUInt32BE(0) !== 0x7f454c46 || elf[4] !== 2) return false;
  const phoff = Number(elf.readBigUInt64LE(0x20));
  const phentsize = elf.readUInt16LE(0x36);
  for (let i = 0; i < elf.readUInt16LE(0x38); i++) {
    const ph = phoff + i * phentsize;
    if (elf.readUInt32LE(ph) !== 4) continue; // PT_NOTE
    let at = Number(elf.readBigUInt64LE(ph + 8));
    const end = at + Number(elf.readBigUInt64LE(ph + 32));
    while (at + 12 <= end) {
      const namesz = elf.readUInt32LE(at);
      const descsz = elf.readUInt32LE(at + 4);
      const name = elf.toString('latin1', at + 12, at + 12 + namesz - 1);
      if (name === 'Xen' && elf.readUInt32LE(at + 8) === 18) return true;
      at += 12 + Math.ceil(namesz / 4) * 4 + Math.ceil(descsz / 4) * 4;
    }
  }
  return false;
}

/**
 * The kernel inside Debian's vmlinuz (xz-compressed after the real-mode set-up), unpacked once
 * with xz into `target` when it has a PVH entry; vmlinuz when it cannot be (another compression,
 * no PVH): the guest then boots the slower way, same results.
 */
function pvhKernel(vmlinuz: string, target: string): string {
  if (existsSync(target)) return target;
  const image = readFileSync(vmlinuz);
  const xz = image.indexOf(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]));
  if (xz < 0) return vmlinuz;
  // Synchronous, once per kernel: xz stops reading at the stream's end, which spawnSync tolerates.
  const r = spawnSync('xz', ['-dc', '--single-stream'], { input: image.subarray(xz), maxBuffer: 1 << 30 });
  if (r.status !== 0 || !hasPvhEntry(r.stdout)) return vmlinuz;
  writeFileSync(`${target}.part`, r.stdout);
  renameSync(`${target}.part`, target);
  return target;
}

async function download(debs: string, names: string[]): Promise<string[]> {
  const missing = names.filter(
    (n) => !readdirSync(debs).some((f) => f.startsWith(`${n}_`) && f.endsWith('.deb')),
  );
  if (missing.length) {
    log(`downloading ${missing.join(' ')}`);
    const r = await $({ cwd: debs })`apt-get download ${missing}`.nothrow().quiet();
    if (r.exitCode !== 0)
      throw new Error(`apt-get download ${missing.join(' ')} failed: ${r.stderr.trim().split('\n').at(-1)}`);
  }
  return names.map((n) =>
    join(debs, readdirSync(debs).find((f) => f.startsWith(`${n}_`) && f.endsWith('.deb'))!),
  );
}

/**
 * What DKMS would do in the guest, done once on the host: Debian's dpdk-kmods-dkms built against
 * the guest kernel's headers (unpacked, not installed), the module put where modprobe finds it.
 */
async function buildIgbUio(cacheDir: string, version: string, kernelDir: string): Promise<string> {
  const modulesDir = join(kernelDir, 'lib/modules', version);
  const target = join(modulesDir, 'updates/dkms/igb_uio.ko');
  if (existsSync(target)) return target;
  const headers = `linux-headers-${version}`;
  const deps = (await $`apt-cache depends ${headers}`.nothrow().quiet()).stdout;
  const names = [
    headers,
    ...[...deps.matchAll(/Depends: (linux-(?:headers|kbuild)-\S+)/g)].map((m) => m[1]!),
    'dpdk-kmods-dkms',
  ];
  const debs = join(cacheDir, 'debs');
  mkdirSync(debs, { recursive: true });
  const root = join(cacheDir, `kbuild-${version}`);
  for (const deb of await download(debs, names)) await $`dpkg -x ${deb} ${root}`.quiet();
  // The headers' Makefile includes the common headers by absolute path: point it into the unpacked tree.
  const makefile = join(root, 'usr/src', headers, 'Makefile');
  writeFileSync(
    makefile,
    readFileSync(makefile, 'utf8').replace(/include \/usr\/src\//, `include ${root}/usr/src/`),
  );
  const src = readdirSync(join(root, 'usr/src')).find((d) => d.startsWith('dpdk-kmods'));
  if (!src) throw new Error('dpdk-kmods-dkms has no sources in /usr/src');
  const build = join(cacheDir, `igb_uio-build-${version}`);
  await $`rm -rf ${build} && cp -r ${join(root, 'usr/src', src)} ${build}`.quiet();
  const r = await $`make -C ${join(root, 'usr/src', headers)} M=${build} modules`.nothrow().quiet();
  if (r.exitCode !== 0)
    throw new Error(`building igb_uio failed: ${r.stderr.trim().split('\n').slice(-3).join(' ')}`);
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(join(build, 'igb_uio.ko'), target);
  await $`depmod -b ${kernelDir} ${version}`.quiet();
  log(`built igb_uio for ${version}`);
  return target;
}
