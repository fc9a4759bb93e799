/**
 * The EAL flags `extraArgs` may carry: DPDK's own flags the SDK has no typed option for. A flag
 * with a typed option is refused (the typed one is checked, and DPDK 25.11 exits on a flag given
 * twice); `--help`/`-h` print the usage and exit(0) inside rte_eal_init; an unknown flag, an
 * abbreviation (getopt_long takes `--in-mem` for `--in-memory` up to 24.11; 25.11's rte_argparse
 * does not) or a stray word is refused, as DPDK 25.11 exits the process on one (status 234).
 * The list is DPDK 22.11's eal_long_options and short options (its usage text lists the same).
 * `--log-level` passes only for a component (`type-match:level`): the global level is logLevel.
 */

/** Flags an `EalOptions` key stands for: give that key instead. */
export const TYPED_EAL_FLAGS: Readonly<Record<string, string>> = Object.freeze({
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
export function extraArgsProblem(args: readonly string[]): string | undefined {
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
    if (!EXTRA_EAL_FLAGS.includes(flag)) {
      const meant = long ? EXTRA_EAL_FLAGS.filter((f) => f.startsWith(flag)) : [];
      const typedMeant = long ? Object.keys(TYPED_EAL_FLAGS).filter((f) => f.startsWith(flag)) : [];
      const full = [...meant, ...typedMeant];
      const hint = full.length ? `; write it in full (${full.join(', ')})` : '';
      return `${at}: ${flag} is not an EAL flag of DPDK 22.11 that the SDK passes through${hint} (DPDK 25.11 ends the process on an unknown flag)`;
    }
    if (NO_VALUE.includes(flag) && attached) return `${at}: ${flag} takes no value`;
    if (WITH_VALUE.includes(flag) && !attached) {
      if (i + 1 >= args.length) return `${at}: ${flag} needs a value`;
      i++; // the next item is its value
    }
  }
  return undefined;
}
