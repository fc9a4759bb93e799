/**
 * Which native shim a process loads for the DPDK it found, as prebuildify and node-gyp-build
 * choose a prebuilt addon: the package's `prebuilds/<platform>-<arch>/dpdk-abi<ABI>/` when it
 * fits that DPDK, else one built on this machine into the user's cache, never into node_modules
 * (which may be read-only: a container layer, a package installed by root and run by a service).
 *
 * A prebuilt shim is linked by soname (`librte_eal.so.<ABI>`, rpath the build machine's libdir):
 * it fits a DPDK of the same ABI that the dynamic linker resolves to the same files, i.e. a
 * distribution's package. A DPDK in its own prefix gets a build pinned to that prefix.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EalStateError } from './errors.js';

const pkgRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
/** Builds a shim: `node build-shim.mjs (--out DIR | --prebuild) [--dpdk PREFIX]`. */
export const buildScript = join(pkgRoot, 'scripts', 'build-shim.mjs');
/** The shims shipped in the package, one per platform and DPDK ABI. */
export const prebuildsDir = join(pkgRoot, 'prebuilds');
/** The shim's source, shipped to build one for a DPDK with no prebuilt shim. */
export const shimSource = join(pkgRoot, 'native', 'shim.c');

/** What `scripts/build-shim.mjs` writes beside a shim (shim.json). */
export interface ShimStamp {
  /** The DPDK version the shim was built against (`22.11.11`). */
  dpdk: string;
  /** That DPDK's ABI (librte_eal's soname number). */
  abi?: string;
  /** `<platform>-<arch>` it was built on (`linux-x64`). */
  platform?: string;
  /** That DPDK's install prefix. */
  prefix: string;
  /** That DPDK's library folder. */
  libdir: string;
  /** Linked to that libdir's libraries by path (a DPDK the dynamic linker does not find by soname). */
  pinned: boolean;
  /** sha256 of the shim.c it was built from. */
  source: string;
  /** When it was built (ISO 8601). */
  built?: string;
}

/** The facts of a DPDK the choice depends on (a DpdkInstall has them). */
export interface ShimTarget {
  version: string;
  prefix: string;
  libdir: string;
  abi: string;
}

/** Where the shim for a DPDK comes from: a prebuild, the user's cache, or a build still to make. */
export type ShimChoice =
  | {
      /** A prebuild shipped in the package fits. */
      kind: 'prebuilt';
      /** The shim's file. */
      path: string;
      /** What it was built for. */
      stamp: ShimStamp;
    }
  | {
      /** A shim built on this machine before fits. */
      kind: 'cache';
      /** The shim's file. */
      path: string;
      /** What it was built for. */
      stamp: ShimStamp;
    }
  /** Neither fits: a build into `path`'s folder is needed (`why` says what was looked at). */
  | {
      /** A build is needed. */
      kind: 'build';
      /** Where the build goes. */
      path: string;
      /** What was looked at, and why none fitted. */
      why: string;
    };

export interface ShimPlaces {
  /** The package's `prebuilds/` folder. */
  prebuilds: string;
  /** The hash of the package's native/shim.c; undefined when the package ships no source. */
  source: string | undefined;
  /** Whether ld.so, by soname, resolves librte_eal.so.<abi> to the one in `libdir`. */
  linkerFinds(target: ShimTarget): boolean;
  env?: NodeJS.ProcessEnv;
  home?: string;
}

/** `prebuilds/<platform>-<arch>/dpdk-abi<ABI>`: the folder of the shim shipped for that ABI. */
export function prebuildDir(
  prebuilds: string,
  abi: string,
  platform = `${process.platform}-${process.arch}`,
) {
  return join(prebuilds, platform, `dpdk-abi${abi}`);
}

/** `$XDG_CACHE_HOME/dpdk-hotplug/shims` (XDG base directories), else `~/.cache/dpdk-hotplug/shims`. */
export function shimCacheRoot(env: NodeJS.ProcessEnv = process.env, home = homedir()): string {
  const xdg = env.XDG_CACHE_HOME;
  // The spec: a relative XDG_CACHE_HOME is invalid and ignored.
  return join(xdg && isAbsolute(xdg) ? xdg : join(home, '.cache'), 'dpdk-hotplug', 'shims');
}

/** The cache folder of the shim built here for one DPDK: its version, ABI and a hash of its prefix. */
export function shimCacheDir(target: ShimTarget, env?: NodeJS.ProcessEnv, home?: string): string {
  const hash = createHash('sha256').update(target.prefix).digest('hex').slice(0, 10);
  return join(shimCacheRoot(env, home), `${target.version}-abi${target.abi}-${hash}`);
}

function readStamp(dir: string): ShimStamp | undefined {
  const file = join(dir, 'shim.json');
  if (!existsSync(join(dir, 'libdphp_shim.so')) || !existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as ShimStamp;
  } catch {
    return undefined;
  }
}

/** Why the prebuilt shim in `dir` does not fit `target`, or undefined when it does. */
function prebuiltMisfit(
  dir: string,
  stamp: ShimStamp | undefined,
  target: ShimTarget,
  places: ShimPlaces,
): string | undefined {
  if (!stamp) return `no prebuilt shim in ${dir}`;
  if (stamp.abi !== target.abi) return `the prebuilt shim in ${dir} is for ABI ${stamp.abi}`;
  if (places.source !== undefined && stamp.source !== places.source)
    return `the prebuilt shim in ${dir} was built from another native/shim.c`;
  if (stamp.libdir !== target.libdir && !places.linkerFinds(target))
    return `the prebuilt shim in ${dir} links librte_eal.so.${target.abi} by soname, which the dynamic linker does not resolve to ${target.libdir}`;
  return undefined;
}

/** The shim to load for `target`: prebuilt, built here before, or to build (see the module comment). */
export function chooseShim(target: ShimTarget, places: ShimPlaces): ShimChoice {
  const pre = prebuildDir(places.prebuilds, target.abi);
  const preStamp = readStamp(pre);
  const misfit = prebuiltMisfit(pre, preStamp, target, places);
  if (!misfit) return { kind: 'prebuilt', path: join(pre, 'libdphp_shim.so'), stamp: preStamp! };
  const dir = shimCacheDir(target, places.env, places.home);
  const path = join(dir, 'libdphp_shim.so');
  const stamp = readStamp(dir);
  if (
    stamp &&
    stamp.dpdk === target.version &&
    stamp.prefix === target.prefix &&
    (places.source === undefined || stamp.source === places.source)
  )
    return { kind: 'cache', path, stamp };
  return {
    kind: 'build',
    path,
    why: `${misfit}; ${stamp ? `the one in ${dir} was built from another native/shim.c` : `none built in ${dir}`}`,
  };
}

/** ld.so's cache (`ldconfig -p`) resolves librte_eal.so.<abi> to `target.libdir`'s file. */
export function linkerFinds(target: ShimTarget): boolean {
  const eal = join(target.libdir, `librte_eal.so.${target.abi}`);
  if (!existsSync(eal)) return false;
  for (const ldconfig of ['ldconfig', '/sbin/ldconfig', '/usr/sbin/ldconfig']) {
    let cache: string;
    try {
      cache = execFileSync(ldconfig, ['-p'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    } catch {
      continue;
    }
    const hit = cache.split('\n').find((l) => l.trim().startsWith(`librte_eal.so.${target.abi} (`));
    const path = hit?.split(' => ')[1]?.trim();
    return path !== undefined && existsSync(path) && realpathSync(path) === realpathSync(eal);
  }
  return false;
}

/** Where this package looks: its prebuilds, its shim.c's hash, ld.so's cache. */
export function packagePlaces(env: NodeJS.ProcessEnv = process.env): ShimPlaces {
  return {
    prebuilds: prebuildsDir,
    source: existsSync(shimSource)
      ? createHash('sha256').update(readFileSync(shimSource)).digest('hex')
      : undefined,
    linkerFinds,
    env,
  };
}

/** The target's build command: into the cache folder `dir`, for the DPDK under its prefix. */
export function buildCommandFor(dir: string, prefix: string | undefined): string {
  return `node ${buildScript} --out ${dir}${prefix === undefined ? '' : ` --dpdk ${prefix}`}`;
}

/**
 * The path of a shim ready to load for `target`: the prebuilt one, the one built here before, or
 * one built now into the cache. Throws BINDING_UNAVAILABLE naming the command that fixes it when
 * none can be had (no compiler, no DPDK headers, no writable cache).
 */
export function readyShim(
  target: ShimTarget & { selectedBy?: string },
  places: ShimPlaces = packagePlaces(),
): ShimChoice & { kind: 'prebuilt' | 'cache' } {
  const choice = chooseShim(target, places);
  if (choice.kind !== 'build') return choice;
  const dir = dirname(choice.path);
  // A DPDK chosen by pkg-config is built by pkg-config's lookup; any other by its prefix.
  const prefix = target.selectedBy === 'pkg-config' ? undefined : target.prefix;
  const command = buildCommandFor(dir, prefix);
  if (places.source === undefined)
    throw new EalStateError(
      'BINDING_UNAVAILABLE',
      `No prebuilt native shim fits DPDK ${target.version} (ABI ${target.abi}) at ${target.prefix} (${choice.why}), and this package ships no native/shim.c to build one: install a package with a prebuilt shim for ABI ${target.abi}`,
    );
  try {
    execFileSync(process.execPath, [buildScript, '--out', dir, ...(prefix ? ['--dpdk', prefix] : [])], {
      stdio: 'pipe',
      encoding: 'utf8',
      env: places.env ?? process.env,
    });
  } catch (cause) {
    // build-shim's own `build-shim: …` line when it gave one, else the compiler's last lines.
    const lines = `${(cause as { stderr?: string }).stderr ?? ''}`.trim().split('\n');
    const own = lines.filter((l) => l.startsWith('build-shim: '));
    const out = (own.length ? own : lines.slice(-3)).join(' | ');
    throw new EalStateError(
      'BINDING_UNAVAILABLE',
      `No prebuilt native shim fits DPDK ${target.version} (ABI ${target.abi}) at ${target.prefix} (${choice.why}), and building one failed (${out || (cause as Error).message}): fix that and run \`${command}\` (it needs cc, DPDK's headers and a writable ${dir}; XDG_CACHE_HOME chooses the cache)`,
      { cause },
    );
  }
  const built = chooseShim(target, places);
  if (built.kind === 'build')
    throw new EalStateError(
      'BINDING_UNAVAILABLE',
      `\`${command}\` ran but left no shim for DPDK ${target.version} in ${dir} (${built.why})`,
    );
  return built;
}
