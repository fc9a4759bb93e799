/**
 * Device arguments known to crash, hang or misuse the process with DPDK's PMDs (22.11 and newer;
 * a row fixed upstream says since when). Data, so
 * that a robustness check can replay each sample against DPDK in a child process; the SDK's
 * devargs parser refuses every row (hazards.test.ts proves both on real DPDK).
 */
export type HazardEffect =
  | 'crash'
  | 'hang'
  | 'runs-shell-command'
  | 'reads-process-fd'
  | 'writes-stdout'
  | 'overwrites-file';

/** One devargs that crashes, hangs or misuses the process, and why the SDK refuses it. */
export interface HazardousDevargs {
  /** The row's stable name (`ring-bare-key`), for tests and the fuzzer's known findings. */
  readonly id: string;
  /** The PMD (driver name; its aliases too). */
  readonly pmd: string;
  /** The argument, or the failsafe sub-device syntax (`exec(...)`). */
  readonly key: string;
  /** What DPDK does with it: crash, hang, run a command, overwrite a file … */
  readonly effect: HazardEffect;
  /** Why, in DPDK's code: what the refusal's message says. */
  readonly why: string;
  /**
   * A devargs that shows it. Placeholders: `{dir}` an empty private directory, `{fifo}` a FIFO no
   * one opens, `{file}` an existing regular file, `{fd}` an open descriptor of a file whose one
   * line is `net_null7`.
   */
  readonly sample: string;
  /** The option that lets it through; refused always when absent. */
  readonly allowedBy?: 'allowShellCommandsInDevargs' | 'overwriteFiles';
  /** `traffic`: the effect shows once the port receives (configure, start, rx burst), not at probe. */
  readonly needs?: 'traffic';
  /**
   * The first release seen without the effect (DPDK refuses the input there); the SDK refuses it
   * on every release alike. Unset: seen on every release the matrix ran.
   */
  readonly fixedIn?: string;
}

const NULL_VALUE =
  'a key without "=value" reaches the PMD as a NULL value (rte_kvargs), and the PMD dereferences it';

/**
 * Seen in the release matrix: 24.11 and 25.11 refuse a bare key themselves (probe returns -1),
 * likely since 23.11's rte_kvargs_process stopped passing NULL values to handlers; 23.11 was
 * not run here, so the row says the first release seen fixed.
 */
const BARE_KEYS_REFUSED = '24.11';

/** Every devargs the SDK refuses because DPDK 22.11 would crash or hang on it, or run a command. */
export const HAZARDOUS_DEVARGS: readonly HazardousDevargs[] = Object.freeze(
  [
    {
      id: 'ring-bare-key',
      pmd: 'net_ring',
      key: 'nodeaction',
      effect: 'crash',
      why: NULL_VALUE,
      sample: 'net_ring0,nodeaction',
      fixedIn: BARE_KEYS_REFUSED,
    },
    {
      id: 'memif-bare-key',
      pmd: 'net_memif',
      key: 'socket',
      effect: 'crash',
      why: NULL_VALUE,
      sample: 'net_memif0,socket',
      fixedIn: BARE_KEYS_REFUSED,
    },
    {
      id: 'pcap-bare-key',
      pmd: 'net_pcap',
      key: 'iface',
      effect: 'crash',
      why: NULL_VALUE,
      sample: 'net_pcap0,iface',
      fixedIn: BARE_KEYS_REFUSED,
    },
    {
      id: 'ring-key-twice',
      pmd: 'net_ring',
      key: 'nodeaction',
      effect: 'crash',
      why: "net_ring makes one port per nodeaction, each with the device's own name: the second cannot be made, and its error path dies with SIGSEGV (found by the fuzzer). The SDK refuses any key given twice that the PMD does not read per occurrence (REPEATABLE_KEYS)",
      sample: 'net_ring0,nodeaction=r0:0:CREATE,nodeaction=r1:0:ATTACH',
    },
    {
      id: 'ring-internal',
      pmd: 'net_ring',
      key: 'internal',
      effect: 'crash',
      why: 'the value is read as a C pointer (sscanf %p) and dereferenced: it is for rte_eth_from_rings only',
      sample: 'net_ring0,internal=0x1',
    },
    {
      id: 'null-size-over-mbuf',
      pmd: 'net_null',
      key: 'size',
      effect: 'crash',
      why: 'each received packet is `size` bytes in a 2048-byte mbuf: with copy=1 net_null copies past its end; without, rx hands out the bytes after it',
      sample: 'net_null0,copy=1,size=65000',
      needs: 'traffic',
    },
    {
      id: 'failsafe-exec',
      pmd: 'net_failsafe',
      key: 'exec(...)',
      effect: 'runs-shell-command',
      why: 'the sub-device is whatever the command prints: failsafe runs it with popen, as this process',
      sample: 'net_failsafe0,exec(touch {dir}/ran; echo net_null7)',
      allowedBy: 'allowShellCommandsInDevargs',
    },
    {
      id: 'failsafe-fd',
      pmd: 'net_failsafe',
      key: 'fd(...)',
      effect: 'reads-process-fd',
      why: "reads one of this process's descriptors to its end and leaves it non-blocking: Node's own (stdin, IPC, the SDK's event pipe) lose data",
      sample: 'net_failsafe0,fd({fd})',
    },
    {
      id: 'pcap-rx-fifo',
      pmd: 'net_pcap',
      key: 'rx_pcap',
      effect: 'hang',
      why: 'libpcap opens a FIFO or device for reading and blocks until a writer comes: rx_pcap must be a regular file',
      sample: 'net_pcap0,rx_pcap={fifo}',
    },
    {
      id: 'pcap-rx-stdin',
      pmd: 'net_pcap',
      key: 'rx_pcap',
      effect: 'hang',
      why: 'libpcap reads "-" as standard input, and blocks on it',
      sample: 'net_pcap0,rx_pcap=-',
    },
    {
      id: 'pcap-tx-fifo',
      pmd: 'net_pcap',
      key: 'tx_pcap',
      effect: 'hang',
      why: 'opening a FIFO for writing blocks until a reader comes: tx_pcap must be a regular file or a new one',
      sample: 'net_pcap0,tx_pcap={fifo}',
    },
    {
      id: 'pcap-tx-stdout',
      pmd: 'net_pcap',
      key: 'tx_pcap',
      effect: 'writes-stdout',
      why: 'libpcap writes "-" to standard output: binary capture data in the caller\'s output',
      sample: 'net_pcap0,tx_pcap=-',
    },
    {
      id: 'pcap-tx-overwrite',
      pmd: 'net_pcap',
      key: 'tx_pcap',
      effect: 'overwrites-file',
      why: 'an existing file is truncated at attach (and at every start)',
      sample: 'net_pcap0,tx_pcap={file}',
      allowedBy: 'overwriteFiles',
    },
    {
      id: 'virtio-user-server',
      pmd: 'net_virtio_user',
      key: 'server',
      effect: 'hang',
      why: 'server mode blocks the calling thread in accept() until a vhost-user client connects',
      sample: 'net_virtio_user0,path={dir}/vu.sock,server=1',
    },
  ].map((row) => Object.freeze(row as HazardousDevargs)),
);
