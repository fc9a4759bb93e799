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

export const KNOWN_FINDINGS: readonly KnownFinding[] = [
  // ------------------------------------------------------------ devargs
  {
    id: 'tap-persist-keeps-netdev',
    status: 'by-design',
    why: "net_tap's persist=1 keeps the tap interface after close and detach: what persist is for, and the caller asked for it by name (README 'What is refused, and why'); other values are refused, as DPDK reads any value (persist=0 too) as on",
    matches: (f) =>
      /^(net|eth)_tap/.test(nameOf(f)) &&
      f.outcome?.kind === 'attached' &&
      (devargsOf(f).match(/(^|,)=*persist=/g) ?? []).length === 1 &&
      /(^|,)=*persist=1(,|$)/.test(devargsOf(f)) &&
      only(f, 'netdevs'),
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
  {
    id: 'pcap-phy-mac-socket-kept',
    status: 'pmd',
    why: 'net_pcap (DPDK 26.07 and main) refuses phy_mac other than 0 or 1 after `iface` opened the interface, and releases nothing: the capture socket stays (commit df67cf00e2; 22.11 reads any value with atoi). Reproduced in lib/fuzz-findings.test.ts',
    matches: (f) =>
      /^(net|eth)_pcap/.test(nameOf(f)) &&
      /(^|,)iface=/.test(devargsOf(f)) &&
      /(^|,)phy_mac=(?!(0|1)(,|$))/.test(devargsOf(f)) &&
      f.outcome?.code === 'ATTACH_FAILED' &&
      only(f, 'fds') &&
      f.leftovers!.every((l) => (l.targets ?? []).every((t) => t.includes(' -> socket:'))),
  },
  // ------------------------------------------------------------ Eal.init options
  {
    id: 'shared-config-runtime-dir-kept',
    status: 'by-design',
    why: "an Eal.init with shared config (no noSharedConfig, no inMemory) under a prefix the caller gave keeps its runtime folder at cleanup, for other processes of that prefix, and after a failed init too (a primary of that prefix holding the lock is one reason to fail; README 'Runtime folders')",
    matches: (f) =>
      (f.outcome?.kind === 'accepted' || f.outcome?.code === 'EAL_INIT_FAILED') &&
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
