/**
 * Findings the fuzzer knows and explains, each with why and where it is reported. A finding none
 * of these explains fails the test and makes `npm run fuzz` exit 1. Each entry matches one
 * narrow shape (the PMD, the outcome and exactly what was left), so a new effect of the same
 * input still shows as a finding. Entries marked "reported" are open: the SDK lets them through.
 */
import type { DevargsInput, OptionsInput } from './generator.js';
import type { Finding, Leftover } from './runner.js';

export interface KnownFinding {
  readonly id: string;
  readonly why: string;
  readonly matches: (f: Finding) => boolean;
}

/** The vdev name of a devargs input, placeholders and all. */
const nameOf = (f: Finding) =>
  f.input.kind === 'devargs' ? (f.input as DevargsInput).devargs.split(',')[0]! : '';
const only = (f: Finding, what: Leftover['what']) =>
  f.kind === 'leftover' && (f.leftovers ?? []).length > 0 && f.leftovers!.every((l) => l.what === what);

export const KNOWN_FINDINGS: readonly KnownFinding[] = [
  {
    id: 'memif-listener-kept',
    why: "net_memif (DPDK 22.11) keeps its server's listening socket after the device is removed: one fd per detach (the certification's finding 'net_memif keeps its listener, so it cannot attach again')",
    matches: (f) =>
      nameOf(f).startsWith('net_memif') &&
      f.outcome?.kind === 'attached' &&
      only(f, 'fds') &&
      f.leftovers!.every((l) => (l.targets ?? []).some((t) => t.includes('socket:'))),
  },
  {
    id: 'tap-persist-keeps-netdev',
    why: "reported, not fixed: net_tap's persist key keeps the tap interface after close and detach, whatever its value (persist=0 too); the SDK lets it through, so a detach leaves a netdev in the caller's network namespace",
    matches: (f) =>
      /^(net|eth)_tap/.test(nameOf(f)) &&
      /(^|,)persist=/.test((f.input as DevargsInput).devargs) &&
      only(f, 'netdevs'),
  },
  {
    id: 'failsafe-failed-attach-leaves-subdevice',
    why: "reported, not fixed: after a net_failsafe device with mac=… is detached, DPDK 22.11's failsafe fails every later attach without mac= ('Failed to set default MAC address'), and the SDK's clean-up of a failed attach removes only the failsafe device's own ports: its sub-device (dev(net_null1)) stays attached with a live port, against 'a failed attach leaves no device or port behind'",
    matches: (f) =>
      nameOf(f).startsWith('net_failsafe') &&
      f.outcome?.kind === 'error' &&
      f.outcome.code === 'ATTACH_FAILED' &&
      only(f, 'ports'),
  },
  {
    id: 'shared-config-runtime-dir-kept',
    why: "by design: an Eal.init with shared config (no noSharedConfig, no inMemory) under a prefix the caller gave keeps its runtime folder at cleanup, for other processes of that prefix (README 'Runtime folders')",
    matches: (f) => {
      if (f.input.kind !== 'options' || !only(f, 'files') || f.outcome?.kind !== 'accepted') return false;
      const entries = new Map((f.input as OptionsInput).recipe.entries);
      const shared = (k: string) => {
        const v = entries.get(k);
        return v?.t === 'json' && v.v === true;
      };
      return (
        !shared('noSharedConfig') &&
        !shared('inMemory') &&
        f.leftovers!.every((l) => (l.paths ?? []).every((p) => p.startsWith('/run/dpdk/')))
      );
    },
  },
];

/** The JSON value an options input gives `key`, if it gives one. */
function option(f: Finding, key: string): unknown {
  if (f.input.kind !== 'options' || (f.input as OptionsInput).recipe.shape !== 'object') return undefined;
  const v = new Map((f.input as OptionsInput).recipe.entries).get(key);
  return v?.t === 'json' ? v.v : undefined;
}
const extraArg = (f: Finding, test: (arg: string) => boolean) => {
  const args = option(f, 'extraArgs');
  return Array.isArray(args) && args.some((a) => typeof a === 'string' && test(a));
};

/** Process deaths and leftovers of Eal.init options the SDK accepts (found by this fuzzer). */
const INIT_FINDINGS: readonly KnownFinding[] = [
  {
    id: 'no-huge-memory-near-limit-crashes',
    why: 'reported, not fixed: the SDK accepts memoryMb up to 1048576, but DPDK 22.11 with --no-huge -m 1000000 or more dies with SIGSEGV in rte_eal_init or at cleanup, or runs on past the 10 s limit of the fuzzer (512 GB to 917504 MB fail cleanly with "rte_service_init() failed"; 256 GB works)',
    matches: (f) =>
      (f.kind === 'crash' || f.kind === 'hang') &&
      /SIGSEGV|still running/.test(f.detail) &&
      (option(f, 'memoryMb') as number) >= 1_000_000,
  },
  {
    id: 'extra-args-vdev-skips-devargs-checks',
    why: 'reported, not fixed: extraArgs reach DPDK as given, so --vdev=net_ring9,nodeaction there skips the devargs checks that vdevs gets, and rte_eal_init dies with SIGSEGV (the bare-key hazard)',
    matches: (f) => f.kind === 'crash' && extraArg(f, (a) => a.startsWith('--vdev')),
  },
  {
    id: 'extra-args-help-exits-process',
    why: "reported, not fixed: extraArgs ['--help'] (or -h) makes rte_eal_init print its usage and call exit(0): the Node process ends at once with status 0, no exception, no 'exit' event",
    matches: (f) =>
      f.kind === 'crash' &&
      /exit(ed with)? code 0/.test(f.detail) &&
      extraArg(f, (a) => a === '--help' || a === '-h'),
  },
  {
    id: 'extra-args-in-memory-keeps-runtime-dir',
    why: "reported, not fixed: with extraArgs ['--in-memory'] (the SDK does not see it as inMemory), cleanup() leaves the EAL's runtime folder under /run/dpdk",
    matches: (f) =>
      only(f, 'files') &&
      extraArg(f, (a) => a === '--in-memory') &&
      f.leftovers!.every((l) => (l.paths ?? []).every((p) => p.startsWith('/run/dpdk/'))),
  },
];

/** The known finding that explains `f`, if any. */
export function explain(f: Finding): { id: string; why: string } | undefined {
  const k = [...KNOWN_FINDINGS, ...INIT_FINDINGS].find((x) => x.matches(f));
  return k ? { id: k.id, why: k.why } : undefined;
}
