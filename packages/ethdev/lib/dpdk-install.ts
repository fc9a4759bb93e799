/**
 * Which DPDK this process uses, decided once, before the binding loads: the build selected with
 * `selectDpdk(prefix)` (or `Eal.init({ dpdk })`), else `DPDK_HOTPLUG_DPDK=PREFIX`, else
 * `pkg-config libdpdk`. Everything version-specific (libdir, sonames, PMD folder, the shim to
 * load) is read from that DPDK, never assumed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { EalStateError } from './errors.js';
import { buildCommandFor, shimCacheDir } from './shim-select.js';
import { atLeast, releaseOf } from './versions.js';

/** The oldest DPDK with rte_dev_probe/rte_dev_remove as this SDK uses them. */
export const MIN_DPDK = '22.11';
const MIN_RELEASE = releaseOf(MIN_DPDK)!;
/** The environment variable that selects a DPDK install prefix (see `selectDpdk`). */
export const DPDK_ENV = 'DPDK_HOTPLUG_DPDK';

/** A DPDK install the SDK can load: where it is, its version, and its shim. */
export interface DpdkInstall {
  /** `22.11.11`, from libdpdk.pc. */
  version: string;
  /** The install prefix (real path); `/usr` for Debian's packages. */
  prefix: string;
  /** The folder holding its librte_*.so (`<prefix>/lib/<arch>`). */
  libdir: string;
  /** The folder holding libdpdk.pc. */
  pcDir: string;
  /** The soname's number: `librte_eal.so.23` → `23`. */
  abi: string;
  /** Where this DPDK's EAL loads PMDs from (DPDK_PLUGIN_PATH in librte_eal); undefined if none. */
  pmdDir: string | undefined;
  /** How it was chosen. */
  selectedBy: 'selectDpdk' | 'env' | 'pkg-config';
  /**
   * `install`: a meson install prefix (or pkg-config's); `build`: an uninstalled meson build
   * folder (what `ninja -C build` leaves), whose libraries are in `lib/`, its PMDs in `drivers/`
   * and its libdpdk.pc in `meson-uninstalled/` (libdpdk-uninstalled.pc).
   */
  kind: 'install' | 'build';
  /**
   * Where a shim built on this machine for this DPDK lives: the user's cache,
   * `$XDG_CACHE_HOME/dpdk-hotplug/shims/<version>-abi<ABI>-<hash of prefix>/libdphp_shim.so`
   * (lib/shim-select.ts). A prebuilt shim of the package is used instead when one fits.
   */
  shimPath: string;
  /** `node .../build-shim.mjs --out DIR [--dpdk PREFIX]`: the command that builds that shim. */
  buildCommand: string;
}

let selected: { prefix: string; by: 'selectDpdk' } | undefined;
let loaded: DpdkInstall | undefined;
const cache = new Map<string, DpdkInstall>();

function notFound(message: string): EalStateError {
  return new EalStateError('DPDK_NOT_FOUND', message);
}

/**
 * Chooses the DPDK installed under `prefix` (a meson install prefix: `lib/<arch>/pkgconfig/
 * libdpdk.pc` under it) for this process. Must come before the first DPDK call: the libraries
 * load once per process. Choosing another one afterwards throws DPDK_ALREADY_LOADED.
 */
export function selectDpdk(prefix: string): DpdkInstall {
  const install = findDpdk(prefix, 'selectDpdk');
  if (loaded && loaded.prefix !== install.prefix) throw alreadyLoaded(install.prefix);
  selected = { prefix, by: 'selectDpdk' };
  return install;
}

function alreadyLoaded(wanted: string): EalStateError {
  return new EalStateError(
    'DPDK_ALREADY_LOADED',
    `This process already loaded DPDK ${loaded!.version} from ${loaded!.prefix}; DPDK at ${wanted} can only be used in a new process`,
  );
}

/** The DPDK this process uses (or will use when it first calls DPDK). */
export function currentDpdk(): DpdkInstall {
  if (loaded) return loaded;
  if (selected) return findDpdk(selected.prefix, selected.by);
  const env = process.env[DPDK_ENV];
  return env ? findDpdk(env, 'env') : findDpdk(undefined, 'pkg-config');
}

/** The DPDK the binding loaded, if it has. */
export function loadedDpdk(): DpdkInstall | undefined {
  return loaded;
}

/** Called by the binding once it loaded `install`'s libraries. */
export function markLoaded(install: DpdkInstall): void {
  loaded = install;
}

/** The folder holding libdpdk.pc in a meson install prefix. */
function pcDirIn(prefix: string): string | undefined {
  const candidates = ['lib/pkgconfig', 'lib64/pkgconfig'];
  const lib = join(prefix, 'lib');
  if (existsSync(lib)) {
    for (const e of readdirSync(lib, { withFileTypes: true }))
      if (e.isDirectory()) candidates.push(`lib/${e.name}/pkgconfig`);
  }
  return candidates.map((c) => join(prefix, c)).find((d) => existsSync(join(d, 'libdpdk.pc')));
}

/** A meson build folder of DPDK: build.ninja, and the uninstalled libdpdk.pc meson writes. */
export function isDpdkBuildDir(dir: string): boolean {
  return existsSync(join(dir, 'build.ninja')) && existsSync(join(dir, 'meson-private'));
}

/**
 * The DPDK in a build folder: libdpdk-uninstalled.pc (meson ≥ 0.54) for its version, `lib/` for
 * its libraries (the .pc's libdir names the install's layout, not the build's) and `drivers/` for
 * its PMDs — unless the folder was installed too: its librte_eal then loads the installed PMD
 * folder at init whatever it is told, and `drivers/` on top would register every PMD twice
 * (an EAL panic), so the installed folder is the one.
 */
function buildDirLayout(dir: string): { pcDir: string; version: string; libdir: string; pmdDir: string } {
  const pcDir = join(dir, 'meson-uninstalled');
  const pcFile = join(pcDir, 'libdpdk-uninstalled.pc');
  if (!existsSync(pcFile)) {
    const installed = existsSync(join(dir, 'meson-private', 'libdpdk.pc'));
    throw notFound(
      `DPDK build folder ${dir}: no meson-uninstalled/libdpdk-uninstalled.pc (${installed ? 'meson older than 0.54 writes none: install the build with `meson install` and give its prefix' : 'not a DPDK build folder, or its meson setup failed'})`,
    );
  }
  const libdir = join(dir, 'lib');
  if (!existsSync(join(libdir, 'librte_eal.so')))
    throw notFound(
      `DPDK build folder ${dir}: no lib/librte_eal.so — not built yet (run \`ninja -C ${dir}\`), or configured with -Ddefault_library=static`,
    );
  const installed = pluginPathOf(realpathSync(join(libdir, 'librte_eal.so')));
  const pmdDir = installed && existsSync(installed) ? installed : join(dir, 'drivers');
  return { pcDir, version: readPc(pcFile).version, libdir, pmdDir };
}

/** libdpdk.pc's version and variables (`${x}` expanded), read as pkg-config reads them. */
function readPc(file: string): { version: string; vars: Record<string, string> } {
  const vars: Record<string, string> = { pcfiledir: dirname(file) };
  const expand = (v: string) => v.trim().replace(/\$\{(\w+)\}/g, (_, k: string) => vars[k] ?? '');
  let version = '';
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const variable = /^(\w+)\s*=(.*)$/.exec(line);
    if (variable) vars[variable[1]!] = expand(variable[2]!);
    const field = /^Version:(.*)$/.exec(line);
    if (field) version = expand(field[1]!);
  }
  return { version, vars };
}

/** The soname number of librte_eal in libdir: what `-lrte_eal` links against. */
function ealAbi(libdir: string): string | undefined {
  const dev = join(libdir, 'librte_eal.so');
  const name = existsSync(dev)
    ? basename(realpathSync(dev))
    : readdirSync(libdir).find((f) => /^librte_eal\.so\.\d+$/.test(f));
  return name && /^librte_eal\.so\.(\d+)/.exec(name)?.[1];
}

/** DPDK_PLUGIN_PATH in librte_eal's .rodata: the folder the EAL loads PMDs from at init. */
export function pluginPathOf(ealLibrary: string): string | undefined {
  const buf = readFileSync(ealLibrary);
  const at = buf.indexOf('DPDK_PLUGIN_PATH=');
  if (at < 0) return undefined;
  const start = at + 'DPDK_PLUGIN_PATH='.length;
  const path = buf.subarray(start, buf.indexOf(0, start)).toString().trim();
  return path || undefined;
}

/**
 * Describes the DPDK under `prefix` (or pkg-config's libdpdk when undefined); throws
 * DPDK_NOT_FOUND naming the path, or UNSUPPORTED_DPDK naming the version found.
 */
export function findDpdk(prefix?: string, selectedBy: DpdkInstall['selectedBy'] = 'selectDpdk'): DpdkInstall {
  const key = prefix === undefined ? '' : resolve(prefix);
  const hit = cache.get(key);
  if (hit) return { ...hit, selectedBy };
  let pcDir: string | undefined;
  if (prefix !== undefined) {
    const abs = resolve(prefix);
    if (!existsSync(abs) || !statSync(abs).isDirectory())
      throw notFound(`No DPDK at ${abs}: no such directory`);
    if (isDpdkBuildDir(abs)) return cacheBuildDir(key, abs, selectedBy);
    pcDir = pcDirIn(abs);
    if (!pcDir)
      throw notFound(
        `No DPDK at ${abs}: no lib/*/pkgconfig/libdpdk.pc (give a meson install prefix) and no build.ninja (or a meson build folder)`,
      );
  }
  if (!pcDir) {
    try {
      // One spawn, for pkg-config's search path; the .pc itself is read here (faster than three).
      pcDir = execFileSync('pkg-config', ['--variable=pcfiledir', 'libdpdk'], {
        encoding: 'utf8',
        stdio: 'pipe',
      }).trim();
    } catch (e) {
      const why = (e as { stderr?: string }).stderr?.trim().split('\n')[0] || (e as Error).message;
      throw notFound(
        `No DPDK found: pkg-config finds no libdpdk (${why}); install one (\`npm run setup\` installs Debian's 22.11) or select a build with ${DPDK_ENV}=PREFIX`,
      );
    }
  }
  const pc = readPc(join(pcDir, 'libdpdk.pc'));
  const { version } = pc;
  const libdir = pc.vars.libdir ?? '';
  const pcPrefix = pc.vars.prefix ?? '';
  const where = prefix === undefined ? `pkg-config's libdpdk (${pcDir})` : resolve(prefix);
  refuseUnsupported(version, where);
  if (!libdir || !existsSync(libdir))
    throw notFound(
      `DPDK ${version} at ${where}: its libdir ${libdir || '(none in libdpdk.pc)'} does not exist`,
    );
  // Real paths: a prefix given through a symlink still holds its libdir.
  if (prefix !== undefined && relative(realpathSync(prefix), realpathSync(libdir)).startsWith('..')) {
    throw notFound(
      `DPDK at ${resolve(prefix)}: its libdpdk.pc says libdir=${libdir}, outside that prefix (a moved install keeps its old prefix= line)`,
    );
  }
  const abi = ealAbi(libdir);
  if (!abi)
    throw notFound(
      `DPDK ${version} at ${where}: no shared librte_eal.so in ${libdir} (a static-only build?)`,
    );
  const real =
    prefix !== undefined ? realpathSync(prefix) : existsSync(pcPrefix) ? realpathSync(pcPrefix) : pcPrefix;
  return remember(
    key,
    { version, prefix: real, libdir, pcDir, abi, selectedBy, kind: 'install' },
    pluginPathOf(join(libdir, `librte_eal.so.${abi}`)),
    prefix === undefined ? undefined : real,
  );
}

/** UNSUPPORTED_DPDK for a version older than MIN_DPDK (or not a version at all). */
function refuseUnsupported(version: string, where: string): void {
  if (!/^\d+\.\d+/.test(version) || !atLeast(version, MIN_RELEASE.year, MIN_RELEASE.month))
    throw new EalStateError(
      'UNSUPPORTED_DPDK',
      `DPDK ${version} at ${where} is not supported: this SDK needs DPDK ${MIN_DPDK} or newer`,
    );
}

/**
 * The install record of a DPDK found (an install or a build folder), with where a shim built
 * here for it lives and the command that builds it (`--dpdk given` when it was not pkg-config's),
 * cached under `key`.
 */
function remember(
  key: string,
  found: Omit<DpdkInstall, 'pmdDir' | 'shimPath' | 'buildCommand'>,
  pmdDir: string | undefined,
  given: string | undefined,
): DpdkInstall {
  const shimDir = shimCacheDir(found);
  const install: DpdkInstall = {
    ...found,
    pmdDir,
    shimPath: join(shimDir, 'libdphp_shim.so'),
    buildCommand: buildCommandFor(shimDir, given),
  };
  cache.set(key, install);
  return install;
}

function cacheBuildDir(key: string, dir: string, selectedBy: DpdkInstall['selectedBy']): DpdkInstall {
  const { pcDir, version, libdir, pmdDir } = buildDirLayout(dir);
  refuseUnsupported(version, dir);
  const abi = ealAbi(libdir);
  if (!abi) throw notFound(`DPDK build folder ${dir}: librte_eal.so in ${libdir} has no soname number`);
  const real = realpathSync(dir);
  return remember(
    key,
    { version, prefix: real, libdir, pcDir, abi, selectedBy, kind: 'build' },
    pmdDir,
    real,
  );
}

/** Whether the PMDs of this DPDK are a build folder's `drivers/` (which the EAL must be told). */
export function usesBuildDrivers(install: DpdkInstall): boolean {
  return install.kind === 'build' && install.pmdDir === join(install.prefix, 'drivers');
}

/**
 * EAL options this DPDK needs to find its own PMDs: none for an install (librte_eal names its PMD
 * folder), `-d <build>/drivers` for a build folder never installed.
 */
export function pmdFolderArgs(install: DpdkInstall): string[] {
  return usesBuildDrivers(install) ? ['-d', install.pmdDir!] : [];
}

/** The path of one of the DPDK's shared libraries: `libraryPath(d, 'ethdev')`. */
export function libraryPath(install: DpdkInstall, name: string): string {
  return join(install.libdir, `librte_${name}.so.${install.abi}`);
}
