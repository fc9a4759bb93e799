#!/usr/bin/env node
// Builds native/shim.c against one DPDK into build/<version>-<hash of prefix>/libdphp_shim.so,
// so that a process never loads a shim built against another DPDK.
// Usage: build-shim.mjs [--dpdk PREFIX]   (default: $DPDK_HOTPLUG_DPDK, else pkg-config libdpdk)
// Rebuilt only when shim.c changed. The binding runs this on demand; lib/dpdk-install.ts
// computes the same folder name (shimKey).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(pkg, 'native', 'shim.c');
const flag = process.argv.indexOf('--dpdk');
const prefixArg = flag > 0 ? process.argv[flag + 1] : process.env.DPDK_HOTPLUG_DPDK || undefined;

function fail(message) {
  console.error(`build-shim: ${message}`);
  process.exit(1);
}

let pcDir;
// An uninstalled meson build folder (the same rule as lib/dpdk-install.ts's isDpdkBuildDir): its
// libdpdk-uninstalled.pc is in meson-uninstalled/, its libraries in lib/, its PMDs in drivers/.
let buildDir;
if (prefixArg) {
  const prefix = resolve(prefixArg);
  if (!existsSync(prefix)) fail(`no DPDK at ${prefix}: no such directory`);
  if (existsSync(join(prefix, 'build.ninja')) && existsSync(join(prefix, 'meson-private'))) buildDir = prefix;
}
if (buildDir) {
  pcDir = join(buildDir, 'meson-uninstalled');
  if (!existsSync(join(pcDir, 'libdpdk-uninstalled.pc')))
    fail(`no meson-uninstalled/libdpdk-uninstalled.pc in ${buildDir}`);
} else if (prefixArg) {
  const prefix = resolve(prefixArg);
  const lib = join(prefix, 'lib');
  const dirs = ['lib/pkgconfig', 'lib64/pkgconfig'];
  if (existsSync(lib))
    for (const e of readdirSync(lib, { withFileTypes: true }))
      if (e.isDirectory()) dirs.push(`lib/${e.name}/pkgconfig`);
  pcDir = dirs.map((d) => join(prefix, d)).find((d) => existsSync(join(d, 'libdpdk.pc')));
  if (!pcDir) fail(`no DPDK at ${prefix}: no lib/*/pkgconfig/libdpdk.pc`);
}
const env = pcDir
  ? { ...process.env, PKG_CONFIG_PATH: [pcDir, process.env.PKG_CONFIG_PATH].filter(Boolean).join(':') }
  : process.env;
const pc = (...args) => execFileSync('pkg-config', [...args, 'libdpdk'], { encoding: 'utf8', env }).trim();
let version;
try {
  version = pc('--modversion');
} catch {
  fail(
    prefixArg
      ? `pkg-config cannot read libdpdk.pc in ${pcDir}`
      : 'libdpdk not found by pkg-config: run `npm run setup` (installs DPDK 22.11 from Debian) or give --dpdk PREFIX',
  );
}
const [major, minor] = version.split('.').map(Number);
if (!(major > 22 || (major === 22 && minor >= 11)))
  fail(`DPDK ${version} found; dpdk-hotplug needs DPDK 22.11 or newer`);
const prefix = realpathSync(prefixArg ? resolve(prefixArg) : pc('--variable=prefix'));
// pkg-config prefers libdpdk-uninstalled.pc in pcDir; its libdir names the install's layout.
const libdir = buildDir ? join(buildDir, 'lib') : pc('--variable=libdir');
// A build folder's PMDs: drivers/, or the folder it was installed to, which its librte_eal loads
// at init anyway (lib/dpdk-install.ts's buildDirLayout: the same rule). The shim links the bus
// libraries from that folder, or the EAL would load a second copy of them (a panic).
const buildPmdDir =
  buildDir && (existsSync(ealPluginPath(libdir) ?? '') ? ealPluginPath(libdir) : join(buildDir, 'drivers'));
const dir = join(
  pkg,
  'build',
  `${version}-${createHash('sha256').update(prefix).digest('hex').slice(0, 10)}`,
);
const out = join(dir, 'libdphp_shim.so');
const stampFile = join(dir, 'shim.json');
const source = createHash('sha256').update(readFileSync(src)).digest('hex');
const stamp = existsSync(stampFile) ? JSON.parse(readFileSync(stampFile, 'utf8')) : {};
if (existsSync(out) && stamp.source === source) {
  console.log(out);
  process.exit(0);
}
mkdirSync(dir, { recursive: true });
const tmp = `${out}.${process.pid}.tmp`;
let libs = pc('--libs').split(/\s+/);
const pinned = !systemLinkerFinds(libdir);
if (pinned) {
  // The dynamic linker would not find this DPDK by soname (or would find another): link every
  // core library and every librte_* a PMD needs, so that all of them load with the shim from
  // this libdir (its DT_RPATH); the EAL's dlopen of PMDs then finds them loaded, by soname.
  libs = [
    '-Wl,--no-as-needed',
    ...libs.filter((a) => a !== '-Wl,--as-needed'),
    ...pmdNeeds(libdir, buildPmdDir).map((n) => `-l:${n}`),
  ];
}
// DT_RPATH, not RUNPATH: it also applies to the dependencies of the libraries the shim needs.
const args = [
  '-O2',
  '-g',
  '-Wall',
  '-Wextra',
  '-Werror',
  '-shared',
  '-fPIC',
  '-o',
  tmp,
  src,
  `-Wl,--disable-new-dtags,-rpath,${libdir}`,
  // A build folder keeps the bus libraries a PMD needs (librte_bus_vdev) with its PMDs.
  ...(buildPmdDir ? [`-L${buildPmdDir}`, `-Wl,-rpath,${buildPmdDir}`] : []),
];
try {
  execFileSync('cc', [...args, ...pc('--cflags').split(/\s+/), ...libs].filter(Boolean), {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
} catch {
  fail(`cc failed building ${src} against DPDK ${version} at ${prefix} (see above)`);
}
renameSync(tmp, out);
writeFileSync(
  stampFile,
  `${JSON.stringify({ dpdk: version, prefix, libdir, pinned, source, built: new Date().toISOString() }, null, 2)}\n`,
);
console.error(`built ${out} against DPDK ${version} at ${prefix}`);
console.log(out);

/** Whether ld.so, by soname, finds this libdir's librte_eal (its cache: ldconfig -p). */
function systemLinkerFinds(libdir) {
  const eal = realpathSync(join(libdir, 'librte_eal.so'));
  const soname = /librte_eal\.so\.\d+/.exec(eal)?.[0];
  let cache = '';
  try {
    cache = execFileSync('ldconfig', ['-p'], { encoding: 'utf8' });
  } catch {}
  const hit = cache.split('\n').find((l) => l.trim().startsWith(`${soname} (`));
  const path = hit?.split(' => ')[1]?.trim();
  return path !== undefined && existsSync(path) && realpathSync(path) === eal;
}

/** The librte_* sonames the PMDs of this DPDK's plugin folder need (objdump -p). */
/** DPDK_PLUGIN_PATH in librte_eal: the folder the EAL loads PMDs from at init. */
function ealPluginPath(libdir) {
  const eal = readFileSync(join(libdir, 'librte_eal.so'));
  const at = eal.indexOf('DPDK_PLUGIN_PATH=');
  return at < 0
    ? undefined
    : eal
        .subarray(at + 17, eal.indexOf(0, at))
        .toString()
        .trim();
}

function pmdNeeds(libdir, pmdFolder) {
  const pmdDir = pmdFolder ?? ealPluginPath(libdir);
  if (!pmdDir || !existsSync(pmdDir)) return [];
  const files = readdirSync(pmdDir)
    .filter((f) => /\.so\.\d+\.\d+$/.test(f))
    .map((f) => join(pmdDir, f));
  if (files.length === 0) return [];
  const dump = execFileSync('objdump', ['-p', ...files], { encoding: 'utf8', maxBuffer: 1 << 26 });
  return [...new Set([...dump.matchAll(/NEEDED\s+(librte_\S+)/g)].map((m) => m[1]))].sort();
}
