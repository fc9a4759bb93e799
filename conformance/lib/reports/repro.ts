/**
 * Reproducers: for each PMD finding of a run, a self-contained C program against the DPDK in use,
 * with no Node and no SDK, that a DPDK maintainer can build with one command and run. One C
 * template per kind of finding (`repro/templates/<kind>.c`, after `common.c`), parameterised by the
 * DUT's devargs, its helper ports, its pool and the EAL options; a program exits 1 when the defect
 * is present, 0 when it is absent, 2 when it could not be tried (EAL, first attach), printing what
 * it measured. `certify --repro DIR` writes them; each finding's check gets a `repro` link.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Dut } from '../model/dut.js';
import { ownHelperPorts } from '../model/helper-ports.js';
import type { CheckResult, DutSummary, RunSummary } from '../model/summary.js';

export const REPRO_KINDS = [
  'leak',
  'stale-rx',
  'reattach',
  'unknown-arg',
  'other-process',
  'mp-remove',
] as const;
export type ReproKind = (typeof REPRO_KINDS)[number];

const TEMPLATES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'repro', 'templates');

/** What each kind shows, for the README: the expected behaviour and the defect. */
const KIND_TEXT: Record<ReproKind, { title: string; expected: string; defect: string }> = {
  leak: {
    title: 'DPDK heap, memzones or fds grow every attach/configure/start/stop/close/remove cycle',
    expected: 'after a warm-up, nothing grows from one cycle to the next',
    defect:
      'DPDK heap (rte_malloc_get_socket_stats), memzones (rte_memzone_walk) or open fds grow every cycle',
  },
  'stale-rx': {
    title: "an earlier attach's packets come back after a detach",
    expected: 'a freshly attached port receives nothing before anything was sent',
    defect: 'packets sent (never received) before a stop/close/remove are received after a later attach',
  },
  reattach: {
    title: 'the device cannot be attached again after a clean detach',
    expected:
      'the second attach/configure/start/stop/close/remove works as the first did, and the first detach leaves nothing behind',
    defect:
      'the second cycle fails at one of its steps (attach/close/remove only when the port cannot start here); the program lists what the first detach left behind: memzones by name, fds, network interfaces, threads',
  },
  'unknown-arg': {
    title: 'an unknown PMD argument is accepted, or refused with a bare -1',
    expected: 'rte_dev_probe refuses `dphp_no_such_argument=1` with a negative errno and leaves no port',
    defect: 'rte_dev_probe returns 0 (accepted) or -1 (a bare -1, read as EPERM)',
  },
  'other-process': {
    title: 'another process cannot use the device after this process detached it',
    expected:
      'a process that probes the device at its EAL start (--vdev) sets it up after this process attached, set up and detached it, as it did before',
    defect:
      'the other process fails (at its queue setup, say) while this process lives, because of what its detach kept; the program lists what that was',
  },
  'mp-remove': {
    title: "the primary dies removing a stopped, unclosed port's device while a secondary runs",
    expected:
      'rte_dev_remove in the primary, of a port not closed first (the order that keeps secondaries consistent), returns 0 and both processes live',
    defect: 'the primary process dies (a signal) or rte_dev_remove fails',
  },
};

/** The kind of reproducer of a failed check, from its check and what it said; undefined: none. */
export function reproKindOf(check: CheckResult): ReproKind | undefined {
  if (check.status !== 'FAIL' || (check.fault ?? 'pmd') !== 'pmd') return undefined;
  const reason = check.reason ?? '';
  if (check.id === 7 && /^leaks:/.test(reason)) return 'leak';
  if (/came back/.test(reason)) return 'stale-rx';
  if (/could not attach|KeptFromEarlierAttach|refused on an attach right after a detach/.test(reason))
    return 'reattach';
  if ((check.id === 10 && /accepted it/.test(reason)) || (check.id === 11 && /bare -1/.test(reason)))
    return 'unknown-arg';
  // A process of its own (13: the EAL-start process; 16: testpmd) that cannot set the port up.
  if (check.id === 13 && /the EAL-start process (failed|died)/.test(reason)) return 'other-process';
  if (check.id === 16 && /\bstart: under testpmd: refused/.test(reason)) return 'other-process';
  if (check.id === 14 && /primary[^:]* died|the primary process died/.test(reason)) return 'mp-remove';
  return undefined;
}

/** The default interface name a program uses for `{iface}` (REPRO_IFACE overrides it). */
export const REPRO_IFACE = 'dphprepro0';

/** Why a DUT gets no program (its set-up is not one a program makes), or undefined. */
function unsupported(dut: Dut): string | undefined {
  if (dut.pci) return 'a PCI DUT: its reproducer is not generated yet';
  return undefined;
}

export interface ReproOptions {
  /** DPDK in use: version, and its pkg-config folder when it is not pkg-config's own. */
  dpdk: { version: string; pcDir?: string; libdir?: string };
  /** The certify command that found it, for the README. */
  command: string;
  /** Cycles of the leak template (after its warm-up). */
  cycles?: number;
}

/**
 * The file prefix (so the runtime folder's name) of the program named `name`, the name of its
 * folder (`<dut>-<kind>`, e.g. `net_null-leak`).
 */
export function reproPrefix(name: string): string {
  return `dphp-repro-${name}`;
}

/** The EAL options every program runs with: in memory, no PCI, its own prefix (as the suite). */
export function reproEalArgs(name: string): string[] {
  return ['--no-huge', '-m', '256', '--no-pci', '--no-shconf', '--file-prefix', reproPrefix(name)];
}

/** The EAL options of a program, as its README says them (mp-remove: a primary and a secondary). */
function ealOptionsText(kind: ReproKind, name: string): string {
  if (kind === 'mp-remove')
    return `--proc-type=primary|secondary --file-prefix ${reproPrefix(name)}-<pid> --huge-dir $REPRO_HUGE_DIR --no-pci -m 64 (primary)`;
  const args = reproEalArgs(name).join(' ');
  return kind === 'other-process' ? `${args} (the other process: the same, and --vdev DEVARGS)` : args;
}

/** The one-line build command against the DPDK in use. */
export function buildCommand(opts: ReproOptions['dpdk'], file = 'repro.c', out = 'repro'): string {
  const env = opts.pcDir ? `PKG_CONFIG_PATH=${opts.pcDir} ` : '';
  // A DPDK outside the loader's path: the program finds its libraries by rpath.
  // DT_RPATH, not RUNPATH: it also finds the libraries DPDK's own libraries need (librte_kvargs).
  const rpath = opts.pcDir && opts.libdir ? ` -Wl,--disable-new-dtags,-rpath,${opts.libdir}` : '';
  return `${env}cc -O1 -Wall -o ${out} ${file} $(${env}pkg-config --cflags --libs libdpdk)${rpath}`;
}

const cString = (s: string) => JSON.stringify(s);

/** The DUT's devargs and helper ports, `{peer}` filled in as the suite's set-up does. */
const devargsOf = (dut: Dut, version: string) => ownHelperPorts(dut, version, '{dir}');

/** The C program of one kind for one DUT: parameters, then common.c, then the kind's template. */
export function reproProgram(kind: ReproKind, dut: Dut, opts: ReproOptions): string {
  const { devargs, helpers } = devargsOf(dut, opts.dpdk.version);
  const eal = reproEalArgs(`${dut.name}-${kind}`);
  const header = [
    `/* Reproducer: ${dut.name} (${dut.pmd}): ${KIND_TEXT[kind].title}.`,
    ` * Generated by dpdk-hotplug certify from its "${kind}" template, for DPDK ${opts.dpdk.version}.`,
    ` * Build: ${buildCommand(opts.dpdk)}`,
    ' * Run as root: ./repro   (exit 1: the defect is present; 0: absent; 2: could not be tried here) */',
    `#define REPRO_DEVARGS ${cString(devargs)}`,
    `#define REPRO_HELPERS ${helpers.map((h) => `${cString(h)}, `).join('')}`,
    `#define REPRO_EAL_ARGS ${eal.map(cString).join(', ')}`,
    `#define REPRO_MP_PREFIX ${cString(reproPrefix(`${dut.name}-${kind}`))}`,
    `#define REPRO_DEFAULT_IFACE ${cString(REPRO_IFACE)}`,
    '#define REPRO_DESCRIPTORS 512',
    `#define REPRO_MBUFS ${dut.mbufs ?? 2048}`,
    '#define REPRO_WARMUP 3',
    `#define REPRO_CYCLES ${opts.cycles ?? 20}`,
    '#define REPRO_MIN_BYTES 16 /* heap bytes a cycle that count as a leak */',
    '#define REPRO_ROUNDS 3',
    // net_af_xdp's finding holds after a pause: the kept socket is not released late.
    `#define REPRO_PAUSE_MS ${dut.pmd === 'net_af_xdp' ? 1000 : 0}`,
    '',
  ];
  const read = (name: string) => readFileSync(join(TEMPLATES, `${name}.c`), 'utf8');
  return `${header.join('\n')}\n${read('common')}\n${read(kind)}`;
}

/** What a program needs on the machine before it runs, for its README. */
function setupText(dut: Dut, kind: ReproKind): string[] {
  const hugepages =
    kind === 'mp-remove'
      ? [
          'A primary and a secondary share hugepages: mount a hugetlbfs with some 2 MB pages free and name it (default `/dev/hugepages`):',
          '',
          '```sh',
          'echo 64 > /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages',
          'mkdir -p /mnt/huge && mount -t hugetlbfs -o pagesize=2M none /mnt/huge',
          'REPRO_HUGE_DIR=/mnt/huge ./repro',
          '```',
          '',
        ]
      : [];
  return [...hugepages, ...setupOfDut(dut)];
}

function setupOfDut(dut: Dut): string[] {
  switch (dut.setup) {
    case 'veth-netns':
      return [
        `The device needs a network interface: the program uses \`${REPRO_IFACE}\` (or the one \`REPRO_IFACE\` names). Make a veth pair first, and remove it afterwards:`,
        '',
        '```sh',
        `ip link add ${REPRO_IFACE} type veth peer name ${REPRO_IFACE}p`,
        `ip link set ${REPRO_IFACE} up && ip link set ${REPRO_IFACE}p up`,
        `./repro; ip link del ${REPRO_IFACE}`,
        '```',
      ];
    case 'tap':
      return [`The PMD makes its interface (\`${REPRO_IFACE}\`, or the one \`REPRO_IFACE\` names) itself.`];
    case 'vhost-backend':
      return [
        'The program probes its net_vhost backend port first, on a socket in a private folder it makes.',
      ];
    case 'null-members':
      return ["The program probes bonding's net_null member ports first."];
    default:
      return dut.devargs.includes('{dir}')
        ? [
            '`{dir}` in the devargs is a private folder the program makes under /tmp (with an rx.pcap of one frame).',
          ]
        : ['Nothing to prepare.'];
  }
}

/** The README beside a program: what it shows, how to build and run it, what the run observed. */
function readme(
  kind: ReproKind,
  dut: Dut,
  summary: DutSummary,
  checks: CheckResult[],
  opts: ReproOptions,
): string {
  const text = KIND_TEXT[kind];
  const { devargs, helpers } = devargsOf(dut, opts.dpdk.version);
  return [
    `# ${dut.name}: ${text.title}`,
    '',
    `A self-contained C program (\`repro.c\`) against DPDK ${opts.dpdk.version}, no Node and no SDK.`,
    '',
    `- PMD: \`${dut.pmd}\`; devargs: \`${devargs}\`${helpers.length ? `; helper ports probed first: ${helpers.map((h) => `\`${h}\``).join(', ')}` : ''}`,
    `- ${summary.dpdkVersion}`,
    `- EAL options: \`${ealOptionsText(kind, `${dut.name}-${kind}`)}\``,
    `- Expected: ${text.expected}.`,
    `- The defect: ${text.defect}.`,
    '',
    '## Build and run (as root)',
    '',
    '```sh',
    buildCommand(opts.dpdk),
    './repro; echo "exit $?"   # 1: the defect is present, 0: absent, 2: could not be tried here',
    '```',
    '',
    ...setupText(dut, kind),
    '',
    '## What the certification observed',
    '',
    `\`${opts.command}\`:`,
    '',
    ...checks.map((c) => `- ${c.title}: **${c.status}** — ${(c.reason ?? '').replace(/\n/g, ' ')}`),
    '',
  ].join('\n');
}

export interface Reproducer {
  dut: string;
  kind: ReproKind;
  checks: number[];
  /** The program's folder (repro.c, README.md). */
  dir: string;
}

/**
 * Writes one program per DUT and kind of finding into `dir` (`<dut>-<kind>/repro.c` and
 * `README.md`) and an index (`README.md`); sets each finding's `repro` to its README, relative to
 * `reportDir`. Returns what it wrote.
 */
export function writeReproducers(
  run: RunSummary,
  duts: readonly Dut[],
  dir: string,
  reportDir: string,
  opts: ReproOptions,
): Reproducer[] {
  mkdirSync(dir, { recursive: true });
  const written: Reproducer[] = [];
  const index = [
    `# Reproducers of \`${opts.command}\``,
    '',
    `DPDK ${opts.dpdk.version}. Each folder holds \`repro.c\` and a README with its build command.`,
    '',
    '| DUT | checks | reproducer |',
    '| --- | --- | --- |',
  ];
  for (const summary of run.duts) {
    const dut = duts.find((d) => d.name === summary.name);
    if (!dut) continue;
    const byKind = new Map<ReproKind | undefined, CheckResult[]>();
    for (const c of summary.checks) {
      if (c.status !== 'FAIL' || (c.fault ?? 'pmd') !== 'pmd') continue;
      const kind = reproKindOf(c);
      byKind.set(kind, [...(byKind.get(kind) ?? []), c]);
    }
    for (const [kind, checks] of byKind) {
      const ids = checks.map((c) => c.id).join(', ');
      const why = kind === undefined ? 'no template for this finding yet' : unsupported(dut);
      if (kind === undefined || why) {
        index.push(`| ${dut.name} | ${ids} | none: ${why} |`);
        continue;
      }
      const folder = join(dir, `${dut.name}-${kind}`);
      mkdirSync(folder, { recursive: true });
      writeFileSync(join(folder, 'repro.c'), reproProgram(kind, dut, opts));
      writeFileSync(join(folder, 'README.md'), readme(kind, dut, summary, checks, opts));
      for (const c of checks) c.repro = relative(reportDir, join(folder, 'README.md'));
      written.push({ dut: dut.name, kind, checks: checks.map((c) => c.id), dir: folder });
      index.push(`| ${dut.name} | ${ids} | [${dut.name}-${kind}](${dut.name}-${kind}/README.md) |`);
    }
  }
  writeFileSync(join(dir, 'README.md'), `${index.join('\n')}\n`);
  return written;
}
