#!/usr/bin/env node
// Builds native/shim.c against one DPDK. Two destinations:
//   --out DIR    DIR/libdphp_shim.so: the binding's on-demand build for a DPDK with no prebuilt
//                shim, into the user's cache (lib/shim-select.ts names DIR; never node_modules)
//   --prebuild   prebuilds/<platform>-<arch>/dpdk-abi<ABI>/libdphp_shim.so: the shim shipped in
//                the package for every DPDK of that ABI the dynamic linker finds by soname (a
//                distribution's package); run at pack time (prepack) and by the release matrix
//   --prebuild-or-skip   the same, or nothing (exit 0) for a DPDK in its own prefix: `npm run build`
// Usage: build-shim.mjs (--out DIR | --prebuild) [--dpdk PREFIX]
//   (DPDK: --dpdk, else $DPDK_HOTPLUG_DPDK, else pkg-config libdpdk)
// Rebuilt only when shim.c changed (shim.json beside the shim holds what it was built from).
// With --prebuild-or-skip and no DPDK at all (pkg-config finds no libdpdk, none given), nothing
// is built and the build goes on: a machine with no DPDK (a CI job that only lists a lab's
// runners and merges their runs) builds the workspace.
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
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(pkg, 'native', 'shim.c');
const option = (name) => {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1] : undefined;
};
const prefixArg = option('--dpdk') ?? (process.env.DPDK_HOTPLUG_DPDK || undefined);
const outArg = option('--out');
const skipUnlessSystem = process.argv.includes('--prebuild-or-skip');
const prebuild = skipUnlessSystem || process.argv.includes('--prebuild');
if ((outArg === undefined) === !prebuild)
  fail('give one of --out DIR (a build for this machine) or --prebuild (the shim shipped in the package)');

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
// pkg-config's own complaint is not shown: each failure below says what is missing, in one line.
const pc = (...args) =>
  execFileSync('pkg-config', [...args, 'libdpdk'], {
    encoding: 'utf8',
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();
let version;
try {
  version = pc('--modversion');
} catch {
  if (!prefixArg && skipUnlessSystem) {
    console.error(
      'build-shim: no DPDK found by pkg-config (libdpdk): the native shim is not built. Commands that need no DPDK work (lab runners, lab merge); the SDK builds the shim on first use once DPDK is installed (`npm run setup`).',
    );
    process.exit(0);
  }
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
const abi = /^librte_eal\.so\.(\d+)/.exec(basename(realpathSync(join(libdir, 'librte_eal.so'))))?.[1];
if (!abi) fail(`no shared librte_eal.so in ${libdir}`);
const pinned = !systemLinkerFinds(libdir);
if (prebuild && pinned && skipUnlessSystem) {
  console.error(
    `build-shim: DPDK ${version} at ${prefix} is not a distribution's DPDK: no prebuilt shim for it; the SDK builds its shim into the user's cache on first use`,
  );
  process.exit(0);
}
if (prebuild && pinned)
  fail(
    `DPDK ${version} at ${prefix} is not the one the dynamic linker finds by soname: a prebuilt shim is made only against a distribution's DPDK (one in ld.so.cache); use --out DIR for this one`,
  );
const dir = prebuild
  ? join(pkg, 'prebuilds', `${process.platform}-${process.arch}`, `dpdk-abi${abi}`)
  : resolve(outArg);
const out = join(dir, 'libdphp_shim.so');
const stampFile = join(dir, 'shim.json');
const source = createHash('sha256').update(readFileSync(src)).digest('hex');
const stamp = existsSync(stampFile) ? JSON.parse(readFileSync(stampFile, 'utf8')) : {};
if (existsSync(out) && stamp.source === source && stamp.dpdk === version && stamp.prefix === prefix) {
  console.error(`up to date: ${out}`);
  process.exit(0);
}
try {
  mkdirSync(dir, { recursive: true });
} catch (e) {
  fail(`cannot create ${dir}: ${e.message}`);
}
const tmp = `${out}.${process.pid}.tmp`;
let libs = pc('--libs').split(/\s+/);
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
// Renamed into place too: a process choosing a shim never reads half a stamp.
writeFileSync(
  `${stampFile}.${process.pid}.tmp`,
  `${JSON.stringify({ dpdk: version, abi, platform: `${process.platform}-${process.arch}`, prefix, libdir, pinned, source, built: new Date().toISOString() }, null, 2)}\n`,
);
renameSync(`${stampFile}.${process.pid}.tmp`, stampFile);
console.error(`built ${out} against DPDK ${version} at ${prefix}`);

/** Whether ld.so, by soname, finds this libdir's librte_eal (its cache: ldconfig -p). */
function systemLinkerFinds(libdir) {
  const eal = realpathSync(join(libdir, 'librte_eal.so'));
  const soname = /librte_eal\.so\.\d+/.exec(eal)?.[0];
  let cache = '';
  for (const ldconfig of ['ldconfig', '/sbin/ldconfig', '/usr/sbin/ldconfig']) {
    try {
      cache = execFileSync(ldconfig, ['-p'], { encoding: 'utf8' });
      break;
    } catch {}
  }
  const hit = cache.split('\n').find((l) => l.trim().startsWith(`${soname} (`));
  const path = hit?.split(' => ')[1]?.trim();
  return path !== undefined && existsSync(path) && realpathSync(path) === eal;
}

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

/** The librte_* sonames the PMDs of this DPDK's plugin folder (or `pmdFolder`) need (objdump -p). */
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
