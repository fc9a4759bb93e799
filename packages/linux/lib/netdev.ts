/**
 * Network interfaces and namespaces a test or a certification makes and gives back: a veth pair
 * with one end in a namespace of its own, an interface brought up, its receive counter. Each
 * action runs iproute2 through the host's `exec` (a `FakeMachine` simulates it), says the command
 * it ran or would run (`dryRun`), and fails with a `KernelError` naming the interface's path, the
 * errno iproute2 reported and what to do.
 */
import { join } from 'node:path';
import { errnoOf, KernelError, writeHint } from './errors.js';
import type { ExecResult, Host } from './host.js';

export interface NetdevOptions {
  /** Run nothing; return the command that would run. */
  dryRun?: boolean;
}

/** A delete's command, or null when there was nothing to delete. */
export type Deleted = string[] | null;

/** Interface names: what the kernel takes (IFNAMSIZ 16 with the NUL), without `/` or spaces. */
const IFNAME = /^(?!\.{1,2}$)[A-Za-z0-9_.-]{1,15}$/;
/** Namespace names become files in /run/netns. */
const NETNS_NAME = /^(?!\.{1,2}$)[A-Za-z0-9_.-]{1,64}$/;

function checkName(kind: 'interface' | 'network namespace', name: string): void {
  const ok = kind === 'interface' ? IFNAME.test(name) : NETNS_NAME.test(name);
  if (!ok)
    throw new KernelError('INVALID_ARGUMENT', `invalid ${kind} name ${JSON.stringify(name)}`, {
      hint:
        kind === 'interface'
          ? 'use 1 to 15 letters, digits, `_`, `.` or `-`'
          : 'use 1 to 64 letters, digits, `_`, `.` or `-`',
    });
}

/** iproute2's messages for the errnos it meets here (it prints strerror, not the name). */
const IP_ERRNOS: Array<[RegExp, string]> = [
  [/File exists/, 'EEXIST'],
  [/Operation not permitted/, 'EPERM'],
  [/Permission denied/, 'EACCES'],
  [/Cannot find device|No such device/, 'ENODEV'],
  [/No such file or directory/, 'ENOENT'],
  [/Device or resource busy/, 'EBUSY'],
  [/Read-only file system/, 'EROFS'],
];

function ipHint(errno: string | undefined, path: string, host: Host, stderr: string): string {
  switch (errno) {
    case 'EEXIST':
      return `${path} exists already: give it back first, or choose another name`;
    case 'ENODEV':
    case 'ENOENT':
      return `${path} is not there (deleted already, or never made)`;
    case 'EPERM':
    case 'EACCES':
    case 'EROFS':
      return writeHint(errno, host.uid);
    default:
      return stderr.trim() || 'see `ip` and the kernel log (dmesg)';
  }
}

/** NETDEV_FAILED for `ip args` that ended with `result`, about `path`. */
function ipFailed(host: Host, args: readonly string[], result: ExecResult, path: string): KernelError {
  const errno = IP_ERRNOS.find(([re]) => re.test(result.stderr))?.[1];
  return new KernelError('NETDEV_FAILED', `ip ${args.join(' ')} failed (${result.stderr.trim()})`, {
    path,
    ...(errno ? { errno } : {}),
    hint: ipHint(errno, path, host, result.stderr),
  });
}

/** Runs `ip args` (or plans it); throws a KernelError about `path` when it fails. */
async function ip(host: Host, args: string[], path: string, options: NetdevOptions): Promise<string[]> {
  const command = ['ip', ...args];
  if (options.dryRun) return command;
  let result: ExecResult;
  try {
    result = await host.exec('ip', args);
  } catch (cause) {
    throw new KernelError('COMMAND_FAILED', 'cannot run ip', { path, hint: 'install iproute2', cause });
  }
  if (result.code !== 0) throw ipFailed(host, args, result, path);
  return command;
}

/** Where the kernel lists interface `name` of the host's namespace. */
const linkPath = (host: Host, name: string) => host.sys('class/net', name);
/** The file that holds network namespace `name` (`ip netns add` makes it). */
const netnsPath = (host: Host, name: string) => join(host.netnsDir, name);

/** Whether interface `name` exists in the host's namespace. */
export async function linkExists(host: Host, name: string): Promise<boolean> {
  checkName('interface', name);
  return host.io.exists(linkPath(host, name));
}

/** Whether network namespace `name` exists. */
export async function netnsExists(host: Host, name: string): Promise<boolean> {
  checkName('network namespace', name);
  return host.io.exists(netnsPath(host, name));
}

/** Makes network namespace `name` (`ip netns add`); returns the command. */
export async function addNetns(host: Host, name: string, options: NetdevOptions = {}): Promise<string[]> {
  checkName('network namespace', name);
  return ip(host, ['netns', 'add', name], netnsPath(host, name), options);
}

/** Deletes network namespace `name` and what is in it; null when there is none (nothing to do). */
export async function deleteNetns(host: Host, name: string, options: NetdevOptions = {}): Promise<Deleted> {
  return (await netnsExists(host, name))
    ? ip(host, ['netns', 'del', name], netnsPath(host, name), options)
    : null;
}

/**
 * Makes a veth pair: `name` in the host's namespace, `peer` in namespace `peerNetns` (which must
 * exist) or beside it. Returns the command.
 */
export async function addVethPair(
  host: Host,
  name: string,
  peer: string,
  options: NetdevOptions & { peerNetns?: string } = {},
): Promise<string[]> {
  checkName('interface', name);
  checkName('interface', peer);
  const args = ['link', 'add', name, 'type', 'veth', 'peer', 'name', peer];
  if (options.peerNetns !== undefined) {
    checkName('network namespace', options.peerNetns);
    args.push('netns', options.peerNetns);
  }
  return ip(host, args, linkPath(host, name), options);
}

/**
 * Brings interface `name` up, in namespace `netns` or the host's; `promisc`: it also receives
 * frames for other MACs (a peer that counts what a DUT sends). Returns the command.
 */
export async function setLinkUp(
  host: Host,
  name: string,
  options: NetdevOptions & { netns?: string; promisc?: boolean } = {},
): Promise<string[]> {
  checkName('interface', name);
  const inNetns = options.netns === undefined ? [] : ['-n', options.netns];
  if (options.netns !== undefined) checkName('network namespace', options.netns);
  const promisc = options.promisc ? ['promisc', 'on'] : [];
  return ip(host, [...inNetns, 'link', 'set', name, 'up', ...promisc], linkPath(host, name), options);
}

/** Takes interface `name` down (the host's namespace). Returns the command. */
export async function setLinkDown(host: Host, name: string, options: NetdevOptions = {}): Promise<string[]> {
  checkName('interface', name);
  return ip(host, ['link', 'set', name, 'down'], linkPath(host, name), options);
}

/** A setting a PF's driver keeps for each of its SR-IOV VFs (`ip link set PF vf N …`). */
export type VfSetting = 'spoofchk' | 'trust';

/**
 * Turns `setting` of VF `vf` of the PF whose interface is `pf` on or off: `spoofchk off` lets the
 * VF send frames with another source MAC than its own, `trust on` lets it ask for more (promiscuous
 * mode, more MACs), as an SR-IOV host sets VFs up for DPDK. Returns the command.
 */
export async function setVf(
  host: Host,
  pf: string,
  vf: number,
  setting: VfSetting,
  on: boolean,
  options: NetdevOptions = {},
): Promise<string[]> {
  checkName('interface', pf);
  if (!Number.isInteger(vf) || vf < 0)
    throw new KernelError('INVALID_ARGUMENT', `invalid VF number ${vf}`, { hint: 'use 0, 1, …' });
  return ip(
    host,
    ['link', 'set', pf, 'vf', String(vf), setting, on ? 'on' : 'off'],
    linkPath(host, pf),
    options,
  );
}

/** Deletes interface `name` of the host's namespace (a veth's peer goes with it); null when absent. */
export async function deleteLink(host: Host, name: string, options: NetdevOptions = {}): Promise<Deleted> {
  return (await linkExists(host, name))
    ? ip(host, ['link', 'del', name], linkPath(host, name), options)
    : null;
}

/**
 * The packets interface `name` has received: from sysfs in the host's namespace, from `ip -j -s`
 * in namespace `netns` (its sysfs is not the host's).
 */
export async function rxPackets(host: Host, name: string, options: { netns?: string } = {}): Promise<number> {
  checkName('interface', name);
  if (options.netns === undefined) {
    const path = host.sys('class/net', name, 'statistics/rx_packets');
    try {
      return Number((await host.io.read(path)).trim());
    } catch (cause) {
      throw new KernelError('NETDEV_FAILED', `cannot read ${path}`, {
        path,
        errno: errnoOf(cause),
        hint: `${linkPath(host, name)} is not there (deleted already, or never made)`,
        cause,
      });
    }
  }
  checkName('network namespace', options.netns);
  const { netns } = options;
  const path = `${netnsPath(host, netns)}: ${name}`;
  const args = ['-n', netns, '-j', '-s', 'link', 'show', 'dev', name];
  const r = await host.exec('ip', args);
  if (r.code !== 0) throw ipFailed(host, args, r, path);
  const packets = (JSON.parse(r.stdout) as Array<{ stats64?: { rx?: { packets?: number } } }>)[0]?.stats64?.rx
    ?.packets;
  if (typeof packets !== 'number')
    throw new KernelError('NETDEV_FAILED', `ip ${args.join(' ')} showed no rx counter`, {
      path,
      hint: 'an iproute2 without JSON statistics (-j -s): install a newer one',
    });
  return packets;
}
