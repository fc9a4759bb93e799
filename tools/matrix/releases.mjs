// The release matrix: which Debian releases the test suite runs on, with their own DPDK and Node.
// Debian 12 is the host; the others run in a debootstrap'd root filesystem entered with chroot.
// Source releases (issue 23) are DPDKs built from source by dpdk-build.mjs, run on the host
// (Debian 12, its Node) with that build selected: 23.11 LTS and 26.07 from their tags, main from
// a tree the user gives (--tree).

/** What the SDK, its shim, the tests' fixtures and nx need from Debian, in every release. */
const COMMON = [
  'dpdk',
  'dpdk-dev',
  'libdpdk-dev',
  'nodejs',
  'npm',
  'gcc',
  'libc6-dev',
  'pkg-config',
  'python3-pyelftools',
  'iproute2',
  'pciutils',
  'kmod',
];

/**
 * @typedef {object} Release
 * @property {string} id        what `--release` takes: 12, 13, sid
 * @property {string} suite     Debian's suite name (debootstrap's argument)
 * @property {string} dpdk      the DPDK version Debian ships in it
 * @property {string} node      the Node major Debian ships in it
 * @property {boolean} host     true: run on this machine, no chroot
 * @property {string[]} packages what apt installs in its root filesystem
 * @property {string[]} aptOptions extra apt-get options (sid's Release file is past its Valid-Until)
 * @property {string} [folder]  the cache folder's name when not the suite's (another root of that suite)
 * @property {string} [readyFile] a file whose presence says the root is complete (default usr/bin/node)
 * @property {{ tag?: string, tree?: true }} [source] a DPDK built from source: a tag of a DPDK git
 *           directory (--git DIR or $DPDK_HOTPLUG_DPDK_GIT, or a cached build of it), or the tree
 *           given with --tree
 */

/** @type {Release[]} */
export const RELEASES = [
  {
    id: '12',
    suite: 'bookworm',
    dpdk: '22.11',
    node: '20',
    host: true,
    packages: [...COMMON, 'libpcap0.8'],
    aptOptions: [],
  },
  {
    id: '13',
    suite: 'trixie',
    dpdk: '24.11',
    node: '20',
    host: false,
    packages: [...COMMON, 'libpcap0.8t64'],
    aptOptions: [],
  },
  {
    id: 'sid',
    suite: 'sid',
    dpdk: '25.11',
    node: '24',
    host: false,
    packages: [...COMMON, 'libpcap0.8t64'],
    aptOptions: ['-o', 'Acquire::Check-Valid-Until=false'],
  },
];

/** A DPDK built from source on the host (Debian 12, Node 20): only its DPDK differs from 12. */
const onHost = (id, dpdk, source) => ({
  id,
  suite: 'bookworm',
  dpdk,
  node: '20',
  host: true,
  packages: [],
  aptOptions: [],
  source,
});

/** @type {Release[]} The source-built DPDKs, in version order (main last). */
export const SOURCE_RELEASES = [
  onHost('23.11', '23.11', { tag: 'v23.11.7' }),
  onHost('26.07', '26.07', { tag: 'v26.07' }),
  onHost('main', 'main', { tree: true }),
];

/**
 * What the matrix runs when no release is named, in DPDK version order: Debian's and the
 * source-built ones (main only when a tree is given; a source release with no build cached and
 * no git directory given is skipped with the command that builds it).
 */
export function defaultReleases({ tree = false } = {}) {
  const byId = (id) => [...RELEASES, ...SOURCE_RELEASES].find((r) => r.id === id);
  return ['12', '23.11', '13', 'sid', '26.07', ...(tree ? ['main'] : [])].map(byId);
}

const ALIASES = {
  12: '12',
  bookworm: '12',
  13: '13',
  trixie: '13',
  sid: 'sid',
  unstable: 'sid',
  23.11: '23.11',
  lts: '23.11',
  26.07: '26.07',
  main: 'main',
};

/** The release named by an id, a suite or an alias (`13`, `trixie`, `unstable`, `23.11`), or an error. */
export function findRelease(name) {
  const id = ALIASES[String(name).toLowerCase()];
  const all = [...RELEASES, ...SOURCE_RELEASES];
  const release = all.find((r) => r.id === id);
  if (!release) {
    throw new Error(
      `unknown release ${JSON.stringify(name)}: one of ${all.map((r) => (r.source ? `${r.id} (from source)` : `${r.id} (${r.suite})`)).join(', ')}`,
    );
  }
  return release;
}
