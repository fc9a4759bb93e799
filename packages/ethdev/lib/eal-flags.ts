/**
 * The EAL flags `extraArgs` may carry: DPDK's own flags the SDK has no typed option for. A flag
 * with a typed option is refused (the typed one is checked, and DPDK 25.11 exits on a flag given
 * twice); `--help`/`-h` print the usage and exit(0) inside rte_eal_init; an unknown flag, an
 * abbreviation (getopt_long takes `--in-mem` for `--in-memory` up to 24.11; 25.11's rte_argparse
 * does not) or a stray word is refused, as DPDK 25.11 exits the process on one (status 234).
 * The list is DPDK 22.11's eal_long_options and short options (its usage text lists the same),
 * and what later releases add ({@link flagsSince}, checked once the DPDK in use is known).
 * `--log-level` passes only for a component (`type-match:level`): the global level is logLevel.
 */
import { atLeast } from './versions.js';

/** Flags an `EalOptions` key stands for: give that key instead. */
const TYPED_EAL_FLAGS: Readonly<Record<string, string>> = Object.freeze({
  '-l': 'lcores',
  '--lcores': 'lcores',
  '-c': 'lcores',
  '-m': 'memoryMb',
  '--no-huge': 'noHuge',
  '--no-pci': 'noPci',
  '--vdev': 'vdevs',
  '-a': 'allow',
  '--allow': 'allow',
  '-b': 'block',
  '--block': 'block',
  '--file-prefix': 'filePrefix',
  '--no-shconf': 'noSharedConfig',
  '--in-memory': 'inMemory',
  '--iova-mode': 'iovaMode',
  '--proc-type': 'processType',
  '-d': 'drivers',
  // 25.11's long names of -c, -d and -m.
  '--coremask': 'lcores',
  '--driver-path': 'drivers',
  '--memory-size': 'memoryMb',
});

/** Flags that take a value (`--flag=value`, `--flag value`, `-n4`, `-n 4`). */
const WITH_VALUE = [
  '-n',
  '-r',
  '-s',
  '-S',
  '--base-virtaddr',
  '--force-max-simd-bitwidth',
  '--huge-dir',
  '--log-level',
  '--main-lcore',
  '--mbuf-pool-ops-name',
  '--socket-limit',
  '--socket-mem',
  '--syslog',
  '--trace',
  '--trace-bufsz',
  '--trace-dir',
  '--trace-mode',
  '--vfio-intr',
  '--vfio-vf-token',
];
/** Flags whose value is optional, so only `--flag=value`. */
const OPTIONAL_VALUE = ['--huge-unlink', '--huge-worker-stack'];
const NO_VALUE = [
  '-v',
  '--create-uio-dev',
  '--legacy-mem',
  '--match-allocations',
  '--no-hpet',
  '--no-telemetry',
  '--single-file-segments',
  '--telemetry',
  '--vmware-tsc-map',
];
/**
 * Flags of later releases, each with the first release that has it (from eal_options.h up to
 * 24.11 and eal_option_list.h in 25.11): the kind of value it takes.
 */
const LATER_FLAGS: ReadonlyArray<{
  flag: string;
  since: [number, number];
  value: 'required' | 'optional' | 'none';
}> = [
  { flag: '--log-color', since: [24, 11], value: 'optional' },
  { flag: '--log-timestamp', since: [24, 11], value: 'optional' },
  { flag: '--numa-mem', since: [25, 11], value: 'required' },
  { flag: '--numa-limit', since: [25, 11], value: 'required' },
  { flag: '--memory-channels', since: [25, 11], value: 'required' },
  { flag: '--memory-ranks', since: [25, 11], value: 'required' },
  { flag: '--service-corelist', since: [25, 11], value: 'required' },
  { flag: '--service-coremask', since: [25, 11], value: 'required' },
  { flag: '--remap-lcore-ids', since: [25, 11], value: 'optional' },
  { flag: '--version', since: [25, 11], value: 'none' },
];

/** The later flags `version` has; all of them when the version is unknown (checked again later). */
function flagsSince(version?: string): typeof LATER_FLAGS {
  return LATER_FLAGS.filter((f) => version === undefined || atLeast(version, f.since[0], f.since[1]));
}

export const EXTRA_EAL_FLAGS: readonly string[] = Object.freeze([
  ...WITH_VALUE,
  ...OPTIONAL_VALUE,
  ...NO_VALUE,
]);

/**
 * Why `args` cannot be passed as extra EAL arguments, or undefined when they can. `--log-level`
 * is the one typed flag also allowed, for a component's level (`--log-level=pmd.net.ring:debug`):
 * the global level is `logLevel`.
 */
export function extraArgsProblem(args: readonly string[], version?: string): string | undefined {
  const later = flagsSince(version);
  const known = [...EXTRA_EAL_FLAGS, ...later.map((f) => f.flag)];
  const withValue = [...WITH_VALUE, ...later.filter((f) => f.value === 'required').map((f) => f.flag)];
  const noValue = [...NO_VALUE, ...later.filter((f) => f.value === 'none').map((f) => f.flag)];
  const release = version === undefined ? 'DPDK 22.11 to 25.11' : version.replace(/^(DPDK )?/, 'DPDK ');
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const at = `item ${i} (${JSON.stringify(arg.slice(0, 40))})`;
    if (!arg.startsWith('-') || arg === '-' || arg === '--') {
      return `${at} is not an EAL flag (nor the value of the flag before it)`;
    }
    const long = arg.startsWith('--');
    const eq = long ? arg.indexOf('=') : -1;
    const flag = long ? (eq < 0 ? arg : arg.slice(0, eq)) : arg.slice(0, 2);
    const attached = long ? eq >= 0 : arg.length > 2;
    if (flag === '--help' || flag === '-h') {
      return `${at}: DPDK prints its usage and ends the process with exit(0) inside rte_eal_init`;
    }
    const typed = TYPED_EAL_FLAGS[flag];
    if (typed) return `${at}: give the ${typed} option instead (the SDK checks it, and passes it to DPDK)`;
    if (flag === '--log-level' && !(attached ? arg.slice(eq + 1) : (args[i + 1] ?? '')).includes(':')) {
      return `${at}: give the logLevel option for the global level; extraArgs take a component's (--log-level=pmd.net.ring:debug)`;
    }
    if (!known.includes(flag)) {
      const meant = long ? known.filter((f) => f.startsWith(flag)) : [];
      const typedMeant = long ? Object.keys(TYPED_EAL_FLAGS).filter((f) => f.startsWith(flag)) : [];
      const full = [...meant, ...typedMeant];
      const hint = full.length ? `; write it in full (${full.join(', ')})` : '';
      const newer = LATER_FLAGS.find((f) => f.flag === flag);
      const since = newer ? `; it came in DPDK ${newer.since[0]}.${newer.since[1]}` : '';
      return `${at}: ${flag} is not an EAL flag of ${release} that the SDK passes through${hint}${since} (DPDK 25.11 ends the process on an unknown flag)`;
    }
    if (noValue.includes(flag) && attached) return `${at}: ${flag} takes no value`;
    if (withValue.includes(flag) && !attached) {
      if (i + 1 >= args.length) return `${at}: ${flag} needs a value`;
      i++; // the next item is its value
    }
  }
  return undefined;
}
