import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access, readdir, readFile, readlink, realpath, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KernelError } from './errors.js';

/**
 * The file operations the helpers make, so that tests can run every write path on a fake tree
 * with a kernel simulator behind it. Paths are absolute (already under the host's roots).
 */
export interface HostIo {
  read(path: string): Promise<string>;
  write(path: string, data: string): Promise<void>;
  readlink(path: string): Promise<string>;
  realpath(path: string): Promise<string>;
  list(path: string): Promise<string[]>;
  exists(path: string): Promise<boolean>;
  /** Whether this process may open the file for reading and writing (a device node, say). */
  canReadWrite(path: string): Promise<boolean>;
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program (no shell). Never throws for a non-zero exit; throws if it cannot start. */
export type Exec = (
  file: string,
  args: readonly string[],
  options?: { timeoutMs?: number },
) => Promise<ExecResult>;

/** One network interface as the kernel sees it: up or not, and its addresses. */
export interface NetLink {
  name: string;
  up: boolean;
  addresses: string[];
}

/** One route; `default` for 0.0.0.0/0 or ::/0. */
export interface NetRoute {
  dev: string;
  dst: string;
  default: boolean;
}

export interface NetState {
  links: NetLink[];
  routes: NetRoute[];
}

export interface HostOptions {
  /** Where sysfs is mounted; `/sys` by default. Tests pass a fake tree. */
  sysfs?: string;
  /** Where procfs is mounted; `/proc` by default. */
  procfs?: string;
  /** Where device nodes live (`/dev/vfio/...`); `/dev` by default. */
  devfs?: string;
  /** Where bind records are kept so `restore` can give a device back; `/run/dpdk-hotplug`. */
  stateDir?: string;
  /** Where `ip netns` keeps named network namespaces; `/run/netns` by default. */
  netnsDir?: string;
  /** The pci.ids file; the first of Debian's usual places by default; `null` for no names. */
  pciIds?: string | null;
  io?: HostIo;
  exec?: Exec;
  /** The interfaces, addresses and routes; `ip -j` by default. */
  net?: () => Promise<NetState>;
  /** The user id writes are made as (hints say "run as root" only to others); this process's by default. */
  uid?: number | null;
}

/** The machine the helpers act on: its roots and the means to read, write and run. */
export interface Host {
  readonly sysfs: string;
  readonly procfs: string;
  readonly devfs: string;
  readonly stateDir: string;
  /** Where `ip netns` keeps named network namespaces. */
  readonly netnsDir: string;
  /** Where to look for pci.ids, first found wins; empty for no names. */
  readonly pciIds: readonly string[];
  readonly io: HostIo;
  readonly exec: Exec;
  /** The user id writes are made as; null where unknown. */
  readonly uid: number | null;
  net(): Promise<NetState>;
  sys(...parts: string[]): string;
  proc(...parts: string[]): string;
}

export const PCI_IDS_PATHS = ['/usr/share/misc/pci.ids', '/usr/share/hwdata/pci.ids', '/usr/share/pci.ids'];

export const nodeIo: HostIo = {
  read: (p) => readFile(p, 'utf8'),
  write: (p, data) => writeFile(p, data),
  readlink: (p) => readlink(p),
  realpath: (p) => realpath(p),
  list: (p) => readdir(p),
  exists: (p) =>
    access(p).then(
      () => true,
      () => false,
    ),
  canReadWrite: (p) =>
    access(p, constants.R_OK | constants.W_OK).then(
      () => true,
      () => false,
    ),
};

export const nodeExec: Exec = (file, args, options = {}) =>
  new Promise((resolve, reject) => {
    execFile(
      file,
      [...args],
      { encoding: 'utf8', timeout: options.timeoutMs ?? 30_000, maxBuffer: 64 << 20 },
      (error, stdout, stderr) => {
        const code = (error as { code?: unknown } | null)?.code;
        if (typeof code === 'string') return reject(error); // ENOENT: the program is not there
        resolve({ code: error ? (typeof code === 'number' ? code : 1) : 0, stdout, stderr });
      },
    );
  });

/** Runs `file args`; throws COMMAND_FAILED naming the command and its stderr on a non-zero exit. */
export async function run(host: Host, file: string, args: readonly string[]): Promise<string> {
  let result: ExecResult;
  try {
    result = await host.exec(file, args);
  } catch (cause) {
    throw new KernelError('COMMAND_FAILED', `cannot run ${file}`, {
      hint: `install the package that provides ${file}`,
      cause,
    });
  }
  if (result.code !== 0) {
    throw new KernelError('COMMAND_FAILED', `${[file, ...args].join(' ')} exited ${result.code}`, {
      hint: result.stderr.trim() || 'see its output',
    });
  }
  return result.stdout;
}

interface IpAddr {
  ifname: string;
  flags?: string[];
  addr_info?: Array<{ local: string; prefixlen: number }>;
}
interface IpRoute {
  dst: string;
  dev?: string;
}

/** The network state from iproute2's JSON output, IPv4 and IPv6, main table. */
export async function ipNetState(exec: Exec): Promise<NetState> {
  const json = async (args: string[]) => {
    const r = await exec('ip', ['-j', ...args]);
    return r.code === 0 && r.stdout.trim() ? JSON.parse(r.stdout) : [];
  };
  const [addrs, v4, v6] = await Promise.all([
    json(['addr', 'show']) as Promise<IpAddr[]>,
    json(['-4', 'route', 'show']) as Promise<IpRoute[]>,
    json(['-6', 'route', 'show']) as Promise<IpRoute[]>,
  ]);
  return {
    links: addrs.map((a) => ({
      name: a.ifname,
      up: a.flags?.includes('UP') ?? false,
      addresses: (a.addr_info ?? []).map((i) => `${i.local}/${i.prefixlen}`),
    })),
    routes: [...v4, ...v6]
      .filter((r): r is IpRoute & { dev: string } => typeof r.dev === 'string')
      .map((r) => ({ dev: r.dev, dst: r.dst, default: r.dst === 'default' })),
  };
}

/** The real machine, or a fake one when roots are given. */
export function createHost(options: HostOptions = {}): Host {
  const sysfs = options.sysfs ?? '/sys';
  const procfs = options.procfs ?? '/proc';
  const exec = options.exec ?? nodeExec;
  const net = options.net ?? (() => ipNetState(exec));
  return {
    sysfs,
    procfs,
    devfs: options.devfs ?? '/dev',
    stateDir: options.stateDir ?? '/run/dpdk-hotplug',
    netnsDir: options.netnsDir ?? '/run/netns',
    pciIds: options.pciIds === undefined ? PCI_IDS_PATHS : options.pciIds === null ? [] : [options.pciIds],
    io: options.io ?? nodeIo,
    exec,
    uid: options.uid === undefined ? (process.getuid?.() ?? null) : options.uid,
    net,
    sys: (...parts) => join(sysfs, ...parts),
    proc: (...parts) => join(procfs, ...parts),
  };
}
