// A source release of the matrix (issue 23): the DPDK build it runs with, and the environment
// that selects that build on the host. Nothing is downloaded: the build is a cached one, or is
// made from the git directory (`--git`, $DPDK_HOTPLUG_DPDK_GIT) or the tree (`--tree`) given.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { buildDpdk, cachedBuilds, DPDK_CACHE, mesonOptions } from './dpdk-build.mjs';

/** The command that builds a release's DPDK, for a skip's reason. */
export function buildCommand(release) {
  return release.source.tag
    ? `node tools/matrix/cli.mjs dpdk-build --tag ${release.source.tag} --git DIR`
    : 'node tools/matrix/cli.mjs dpdk-build --tree DIR';
}

/**
 * The cached build of a tag made with today's options (dpdk-build's key covers them; an older
 * build of the same tag with other options does not count), newest first; undefined if none.
 */
export function cachedBuildOf(tag, builds = cachedBuilds()) {
  return builds.find(
    (b) =>
      b.source.startsWith(`${tag} of `) &&
      existsSync(b.tree) &&
      JSON.stringify(b.options) === JSON.stringify(mesonOptions(b.tree)),
  );
}

/**
 * The build a source release runs with: `{ stamp }`, or `{ skip }` saying why there is none and
 * how to make it. A tag's cached build is used; without one, it is built when a git directory is
 * given. main needs `tree` (built, or reused when that commit was built before).
 */
export function sourceBuild(release, { git, tree, cache = DPDK_CACHE, log = () => {} } = {}) {
  if (release.source.tree) {
    if (!tree) return { skip: `main runs only on a tree you give: --tree DIR (${buildCommand(release)})` };
    return { stamp: buildDpdk({ tree }, { cache, log }) };
  }
  const cached = cachedBuildOf(release.source.tag, cachedBuilds(cache));
  if (cached) return { stamp: cached };
  if (!git)
    return {
      skip: `no build of DPDK ${release.source.tag} is cached and no DPDK git directory was given (--git DIR or DPDK_HOTPLUG_DPDK_GIT): ${buildCommand(release)}`,
    };
  return { stamp: buildDpdk({ tag: release.source.tag, git }, { cache, log }) };
}

/** The library folder of a meson install prefix (Debian's multiarch one, else lib/). */
export function libdirOf(prefix) {
  const multiarch = join(prefix, 'lib', `${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu`);
  return existsSync(multiarch) ? multiarch : join(prefix, 'lib');
}

/**
 * What selects a source build for every process of a run, as certify's `--dpdk` does for its
 * own: the SDK's DPDK_HOTPLUG_DPDK, its testpmd and dpdk-pmdinfo.py first on PATH, its libraries
 * for programs found by soname (testpmd, C programs the tests compile), its libdpdk.pc for
 * pkg-config (the shim, the tests' C programs).
 */
export function sourceEnv(stamp, env = process.env) {
  const libdir = libdirOf(stamp.prefix);
  const join2 = (first, rest) => [first, rest].filter(Boolean).join(':');
  return {
    DPDK_HOTPLUG_DPDK: stamp.prefix,
    PATH: join2(join(stamp.prefix, 'bin'), env.PATH),
    LD_LIBRARY_PATH: join2(libdir, env.LD_LIBRARY_PATH),
    PKG_CONFIG_PATH: join2(join(libdir, 'pkgconfig'), env.PKG_CONFIG_PATH),
  };
}
