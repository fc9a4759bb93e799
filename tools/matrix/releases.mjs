// The release matrix: which Debian releases the test suite runs on, with their own DPDK and Node.
// Debian 12 is the host; the others run in a debootstrap'd root filesystem entered with chroot.

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

const ALIASES = { 12: '12', bookworm: '12', 13: '13', trixie: '13', sid: 'sid', unstable: 'sid' };

/** The release named by an id, a suite or an alias (`13`, `trixie`, `unstable`), or an error. */
export function findRelease(name) {
  const id = ALIASES[String(name).toLowerCase()];
  const release = RELEASES.find((r) => r.id === id);
  if (!release) {
    throw new Error(
      `unknown release ${JSON.stringify(name)}: one of ${RELEASES.map((r) => `${r.id} (${r.suite})`).join(', ')}`,
    );
  }
  return release;
}
