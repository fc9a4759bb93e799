/**
 * Findings the fuzzer knows, each with why. `open`: the SDK lets it through and it is reported,
 * not fixed (`npm run fuzz` exits 1 while one shows); `pmd`: a PMD's own defect, reported by the
 * certification; `by-design`: what the SDK documents. A finding none of these explains fails the
 * test and the long mode. Each entry matches one narrow shape (the PMD or option, the outcome and
 * exactly what was left), so a new effect of the same input still shows as a finding.
 */
import type { DevargsInput, OptionsInput } from './generator.js';
import type { Finding, Leftover } from './runner.js';

export interface KnownFinding {
  readonly id: string;
  readonly status: 'open' | 'pmd' | 'by-design';
  readonly why: string;
  readonly matches: (f: Finding) => boolean;
}

/** The vdev name of a devargs input, placeholders and all. */
const nameOf = (f: Finding) =>
  f.input.kind === 'devargs' ? (f.input as DevargsInput).devargs.split(',')[0]! : '';
const devargsOf = (f: Finding) => (f.input.kind === 'devargs' ? (f.input as DevargsInput).devargs : '');
const only = (f: Finding, what: Leftover['what']) =>
  f.kind === 'leftover' && (f.leftovers ?? []).length > 0 && f.leftovers!.every((l) => l.what === what);
const pathsUnder = (f: Finding, dir: string) =>
  f.leftovers!.every((l) => (l.paths ?? []).every((p) => p.startsWith(dir)));

/** The JSON value an options input gives `key` (through any object shape Eal.init reads). */
function option(f: Finding, key: string): unknown {
  if (f.input.kind !== 'options') return undefined;
  const { shape, entries } = (f.input as OptionsInput).recipe;
  if (!['object', 'null-prototype', 'frozen', 'proxy', 'class'].includes(shape)) return undefined;
  const v = new Map(entries).get(key);
  return v?.t === 'json' ? v.v : undefined;
}
const extraArg = (f: Finding, test: (arg: string) => boolean) => {
  const args = option(f, 'extraArgs');
  return Array.isArray(args) && args.some((a) => typeof a === 'string' && test(a));
};

export const KNOWN_FINDINGS: readonly KnownFinding[] = [
  // ------------------------------------------------------------ devargs
  {
    id: 'ring-duplicate-nodeaction-crashes',
    status: 'open',
    why: 'net_ring0,nodeaction=r0:0:CREATE,nodeaction=r0:0:CREATE (a nodeaction key given twice) kills the process with SIGSEGV in the probe; the SDK passes it',
    matches: (f) =>
      f.kind === 'crash' &&
      /^(net|eth)_ring/.test(nameOf(f)) &&
      (devargsOf(f).match(/(^|,)=*nodeaction=/g) ?? []).length >= 2,
  },
  {
    id: 'af-packet-many-qpairs-hangs',
    status: 'open',
    why: 'net_af_packet with qpairs=32768 or more blocks in the probe for about 15 s (a socket and rings per queue pair) before it fails with -1: a hang by the 5 s limit, with the event loop blocked; the SDK passes any qpairs',
    matches: (f) => f.kind === 'hang' && /af_packet/.test(nameOf(f)) && /qpairs=\d{5,}/.test(devargsOf(f)),
  },
  {
    id: 'failsafe-failed-attach-leaves-subdevice',
    status: 'open',
    why: "after a net_failsafe device with mac=… is detached, DPDK 22.11's failsafe fails every later attach without mac= ('Failed to set default MAC address'), and the SDK's clean-up of a failed attach removes only the failsafe device's own ports: its sub-device (dev(net_null1)) stays attached with a live port, against 'a failed attach leaves no device or port behind'",
    matches: (f) =>
      nameOf(f).startsWith('net_failsafe') &&
      f.outcome?.kind === 'error' &&
      f.outcome.code === 'ATTACH_FAILED' &&
      only(f, 'ports'),
  },
  {
    id: 'failsafe-nested-leaves-port',
    status: 'open',
    why: 'a net_failsafe device with a failsafe sub-device (dev(net_failsafe1,dev(net_null2))) attaches, closes and detaches without error, and a port stays behind',
    matches: (f) =>
      nameOf(f).startsWith('net_failsafe') &&
      /dev\(net_failsafe/.test(devargsOf(f)) &&
      f.outcome?.kind === 'attached' &&
      only(f, 'ports'),
  },
  {
    id: 'tap-persist-keeps-netdev',
    status: 'open',
    why: "net_tap's persist key keeps the tap interface after close and detach, whatever its value (persist=0 too): a detach leaves a netdev in the caller's network namespace",
    matches: (f) =>
      /^(net|eth)_tap/.test(nameOf(f)) && /(^|,)=*persist=/.test(devargsOf(f)) && only(f, 'netdevs'),
  },
  {
    id: 'memif-listener-kept',
    status: 'pmd',
    why: "net_memif (DPDK 22.11) keeps its server's listening socket after the device is removed: one fd per detach (the certification's finding 'net_memif keeps its listener, so it cannot attach again')",
    matches: (f) =>
      nameOf(f).startsWith('net_memif') &&
      f.outcome?.kind === 'attached' &&
      only(f, 'fds') &&
      f.leftovers!.every((l) => (l.targets ?? []).some((t) => t.includes('socket:'))),
  },
  {
    id: 'pcap-tx-file-is-the-output',
    status: 'by-design',
    why: 'tx_pcap makes the capture file it names, wherever that is ({tmp}/../x.pcap, ../x.pcap), and the capture stays after detach: it is the output',
    matches: (f) =>
      /^(net|eth)_pcap/.test(nameOf(f)) &&
      f.outcome?.kind === 'attached' &&
      only(f, 'files') &&
      f.leftovers!.every((l) =>
        (l.paths ?? []).every(
          (p) => p.endsWith('.pcap') && devargsOf(f).includes(p.slice(p.lastIndexOf('/'))),
        ),
      ),
  },
  // ------------------------------------------------------------ Eal.init options
  {
    id: 'no-huge-memory-near-limit-crashes',
    status: 'open',
    why: 'the SDK accepts memoryMb up to 1048576, but DPDK 22.11 with --no-huge -m 1000000 or more dies with SIGSEGV in rte_eal_init or at cleanup, or runs on past the 10 s limit (512 GB to 917504 MB fail cleanly with "rte_service_init() failed"; 256 GB works)',
    matches: (f) =>
      (f.kind === 'crash' || f.kind === 'hang') &&
      /SIGSEGV|still running/.test(f.detail) &&
      (option(f, 'memoryMb') as number) >= 1_000_000,
  },
  {
    id: 'extra-args-vdev-skips-devargs-checks',
    status: 'open',
    why: 'extraArgs reach DPDK as given, so --vdev=net_ring9,nodeaction there skips the devargs checks that vdevs gets, and rte_eal_init dies with SIGSEGV (the bare-key hazard)',
    matches: (f) => f.kind === 'crash' && extraArg(f, (a) => a.startsWith('--vdev')),
  },
  {
    id: 'extra-args-help-exits-process',
    status: 'open',
    why: "extraArgs ['--help'] (or -h) makes rte_eal_init print its usage and call exit(0): the Node process ends at once with status 0, no exception, no 'exit' event",
    matches: (f) =>
      f.kind === 'crash' && /code 0/.test(f.detail) && extraArg(f, (a) => a === '--help' || a === '-h'),
  },
  {
    id: 'extra-args-in-memory-keeps-runtime-dir',
    status: 'open',
    why: "with extraArgs ['--in-memory'] (the SDK does not see it as inMemory), cleanup() leaves the EAL's runtime folder under /run/dpdk",
    matches: (f) =>
      only(f, 'files') && extraArg(f, (a) => a === '--in-memory') && pathsUnder(f, '/run/dpdk/'),
  },
  {
    id: 'failed-init-keeps-runtime-dir',
    status: 'open',
    why: 'an Eal.init that DPDK fails (EAL_INIT_FAILED: a vdev that does not probe, a driver that does not load, a bad extra argument) leaves the runtime folder rte_eal_init made under /run/dpdk; the process cannot init again, and nothing removes it',
    matches: (f) =>
      f.input.kind === 'options' &&
      f.outcome?.code === 'EAL_INIT_FAILED' &&
      only(f, 'files') &&
      pathsUnder(f, '/run/dpdk/'),
  },
  {
    id: 'shared-config-runtime-dir-kept',
    status: 'by-design',
    why: "an Eal.init with shared config (no noSharedConfig, no inMemory) under a prefix the caller gave keeps its runtime folder at cleanup, for other processes of that prefix (README 'Runtime folders')",
    matches: (f) =>
      f.outcome?.kind === 'accepted' &&
      only(f, 'files') &&
      option(f, 'noSharedConfig') !== true &&
      option(f, 'inMemory') !== true &&
      pathsUnder(f, '/run/dpdk/'),
  },
];

/** The known finding that explains `f`, if any. */
export function explain(f: Finding): { id: string; status: KnownFinding['status']; why: string } | undefined {
  const k = KNOWN_FINDINGS.find((x) => x.matches(f));
  return k ? { id: k.id, status: k.status, why: k.why } : undefined;
}
