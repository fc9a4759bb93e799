import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { createHost, type Host, type HostOptions, type NetState, nodeExec, nodeIo } from '../host.js';

export interface FakeDevice {
  address: string;
  vendor: string;
  device: string;
  subsystemVendor?: string;
  subsystemDevice?: string;
  /** Six hex digits, e.g. `020000`. */
  class: string;
  /** The driver bound at start; its name must be in `drivers`. */
  driver?: string;
  numaNode?: number;
  iommuGroup?: number;
  /** Interfaces the device has while its kernel driver (the one from the start) drives it. */
  interfaces?: string[];
  /** Put interfaces one level down (`virtio0/net/eth0`), as virtio does. */
  nested?: string;
  block?: string[];
  slot?: string;
  /** An SR-IOV PF: the VFs `sriov_numvfs=N` makes (the first N), each with its driver at start. */
  vfs?: FakeDevice[];
}

export interface FakeDriver {
  name: string;
  /** `vvvv:dddd` ids it claims from its own table. */
  ids?: string[];
  /**
   * Its probe fails for every device (as uio_pci_generic does for a device without INTx): a
   * `bind` write fails with ENODEV, a `drivers_probe` write succeeds and binds nothing.
   */
  refusesProbe?: boolean;
}

export interface FakeMachineSpec {
  devices: FakeDevice[];
  drivers: FakeDriver[];
  /** Loaded modules, as `/sys/module` lists them. */
  modules?: string[];
  /** Old kernels have no `driver_override`; the helpers then use `new_id`. */
  driverOverride?: boolean;
  net?: NetState;
  mounts?: string;
  /** Page size in kB → the most pages the fake kernel will grant. */
  hugepages?: Record<number, number>;
  numaNodes?: number;
  /** The machine's memory, /proc/meminfo's MemTotal, in kB (default 4 GiB). */
  memTotalKb?: number;
}

export interface SysfsWrite {
  /** Relative to the sysfs root, e.g. `bus/pci/drivers/vfio-pci/bind`. */
  path: string;
  data: string;
}

interface Failure {
  pattern: RegExp;
  errno: string;
  times: number;
}

/**
 * A sysfs/procfs tree in a temporary folder with the real layout (symlinks for `driver`,
 * `iommu_group`, `class/net`), and a simulator that does what the kernel does on each write:
 * unbind removes the link and the interfaces, `drivers_probe` honours `driver_override`,
 * `new_id` binds matching devices, `remove`/`rescan` and slot power take devices away and back.
 * Writes can be made to fail with an errno, to exercise rollback.
 */
export class FakeMachine {
  readonly root: string;
  readonly sysfs: string;
  readonly procfs: string;
  readonly devfs: string;
  readonly stateDir: string;
  /** Where the fake's named network namespaces are (`ip netns add` makes a file here). */
  readonly netnsDir: string;
  readonly writes: SysfsWrite[] = [];
  /** Programs run through the host's exec that the fake simulates (`modprobe <module>`), argv each. */
  readonly commands: string[][] = [];
  readonly host: Host;
  readonly #spec: FakeMachineSpec;
  readonly #removed = new Map<string, FakeDevice>();
  readonly #dynamicIds = new Map<string, Set<string>>();
  readonly #failures: Failure[] = [];
  readonly #denied = new Set<string>();
  readonly #commandFailures: Array<{ pattern: RegExp; stderr: string; times: number }> = [];
  /** Interfaces inside each named namespace: name → packets received. */
  readonly #netns = new Map<string, Map<string, number>>();
  /** veth ends of the host's namespace → their peer (name, and namespace if not the host's). */
  readonly #peers = new Map<string, { name: string; netns?: string }>();

  constructor(spec: FakeMachineSpec, hostOptions: HostOptions = {}) {
    this.#spec = spec;
    this.root = mkdtempSync(join(tmpdir(), 'dphp-fake-sys-'));
    this.sysfs = join(this.root, 'sys');
    this.procfs = join(this.root, 'proc');
    this.devfs = join(this.root, 'dev');
    this.stateDir = join(this.root, 'run');
    this.netnsDir = join(this.root, 'netns');
    this.#build();
    const net = spec.net ?? { links: [], routes: [] };
    this.host = createHost({
      sysfs: this.sysfs,
      procfs: this.procfs,
      devfs: this.devfs,
      stateDir: this.stateDir,
      netnsDir: this.netnsDir,
      pciIds: null,
      net: async () => net,
      // Loading a module (it appears in /sys/module), iproute2's link and netns commands and
      // hugetlbfs mounts are simulated; `modprobe -n` and other programs run for real.
      exec: async (file, args, options) => {
        const simulated = this.#simulate(file, args);
        if (simulated) {
          this.commands.push([file, ...args]);
          const line = [file, ...args].join(' ');
          const failure = this.#commandFailures.find((f) => f.times > 0 && f.pattern.test(line));
          if (failure) {
            failure.times--;
            return { code: 2, stdout: '', stderr: failure.stderr };
          }
          return simulated();
        }
        return nodeExec(file, args, options);
      },
      ...hostOptions,
      io: {
        ...nodeIo,
        write: (path, data) => this.#write(path, data),
        canReadWrite: async (path) => !this.#denied.has(path) && nodeIo.canReadWrite(path),
      },
    });
  }

  /** The next `times` writes to a path matching `pattern` fail with `errno`. */
  failWrites(pattern: RegExp, errno: string, times = 1): void {
    this.#failures.push({ pattern, errno, times });
  }

  /**
   * The next `times` simulated commands whose command line matches `pattern` fail (exit 2) with
   * `stderr`, as the program would print it (`RTNETLINK answers: Operation not permitted`).
   */
  failCommands(pattern: RegExp, stderr: string, times = 1): void {
    this.#commandFailures.push({ pattern, stderr, times });
  }

  /** Interface `name` (of the host's namespace, or of `netns`) receives `packets` more. */
  receive(name: string, packets: number, netns?: string): void {
    if (netns !== undefined) {
      const links = this.#netns.get(netns)!;
      links.set(name, links.get(name)! + packets);
      return;
    }
    const file = join(this.sysfs, 'devices/virtual/net', name, 'statistics/rx_packets');
    writeFileSync(file, `${Number(readFileSync(file, 'utf8')) + packets}\n`);
  }

  /** The interfaces of a named namespace, or undefined when there is no such namespace. */
  netnsLinks(netns: string): string[] | undefined {
    const links = this.#netns.get(netns);
    return links && [...links.keys()];
  }

  /** What a simulated program does, or undefined for one that runs for real. */
  #simulate(
    file: string,
    args: readonly string[],
  ): (() => { code: number; stdout: string; stderr: string }) | undefined {
    const ok = (stdout = '') => ({ code: 0, stdout, stderr: '' });
    const fail = (stderr: string, code = 1) => ({ code, stdout: '', stderr });
    if (file === 'modprobe' && args.length === 1 && !args[0]!.startsWith('-'))
      return () => {
        mkdirSync(join(this.sysfs, 'module', args[0]!), { recursive: true });
        return ok();
      };
    const mountsFile = join(this.procfs, 'mounts');
    if (file === 'mount' && args[0] === '-t' && args[1] === 'hugetlbfs' && args.length === 6)
      return () => {
        writeFileSync(
          mountsFile,
          `${readFileSync(mountsFile, 'utf8')}nodev ${args[5]} hugetlbfs rw,${args[3]} 0 0\n`,
        );
        return ok();
      };
    if (file === 'umount' && args.length === 1)
      return () => {
        const lines = readFileSync(mountsFile, 'utf8').split('\n');
        const i = lines.findIndex((l) => l.split(' ')[1] === args[0]);
        if (i < 0) return fail(`umount: ${args[0]}: not mounted.`, 32);
        lines.splice(i, 1);
        writeFileSync(mountsFile, lines.join('\n'));
        return ok();
      };
    if (file !== 'ip') return undefined;
    const [netnsFlag, netnsName] = args;
    const inNetns = netnsFlag === '-n' ? netnsName : undefined;
    const a = inNetns === undefined ? [...args] : args.slice(2);
    const hostLink = (name: string) => join(this.sysfs, 'class/net', name);
    const exists = (name: string, netns?: string) =>
      netns === undefined ? this.#isLink(hostLink(name)) : (this.#netns.get(netns)?.has(name) ?? false);
    const noDevice = (name: string) => fail(`Cannot find device "${name}"`);
    const show = (name: string, rx: number) =>
      ok(JSON.stringify([{ ifname: name, stats64: { rx: { packets: rx } } }]));
    if (a[0] === 'netns' && a[1] === 'add' && a.length === 3)
      return () => {
        if (this.#netns.has(a[2]!))
          return fail(`Cannot create namespace file "/run/netns/${a[2]}": File exists`);
        this.#netns.set(a[2]!, new Map());
        this.#file(join(this.netnsDir, a[2]!));
        return ok();
      };
    if (a[0] === 'netns' && a[1] === 'del' && a.length === 3)
      return () => {
        if (!this.#netns.delete(a[2]!))
          return fail(`Cannot remove namespace file "/run/netns/${a[2]}": No such file or directory`);
        rmSync(join(this.netnsDir, a[2]!));
        for (const [end, peer] of this.#peers) if (peer.netns === a[2]) this.#deleteHostLink(end);
        return ok();
      };
    if (a[0] === 'link' && a[1] === 'add' && a[3] === 'type' && a[4] === 'veth' && a[6] === 'name')
      return () => {
        const [name, peer, netns] = [a[2]!, a[7]!, a[8] === 'netns' ? a[9] : undefined];
        if (exists(name) || exists(peer, netns)) return fail('RTNETLINK answers: File exists', 2);
        if (netns !== undefined && !this.#netns.has(netns))
          return fail(`Invalid "netns" value "${netns}"`, 255);
        this.#addHostLink(name);
        if (netns === undefined) this.#addHostLink(peer);
        else this.#netns.get(netns)!.set(peer, 0);
        this.#peers.set(name, { name: peer, ...(netns !== undefined ? { netns } : {}) });
        return ok();
      };
    if (
      a[0] === 'link' &&
      a[1] === 'set' &&
      (a[3] === 'up' || a[3] === 'down') &&
      (a.length === 4 || (a.length === 6 && a[3] === 'up' && a[4] === 'promisc' && a[5] === 'on'))
    )
      return () => {
        if (!exists(a[2]!, inNetns)) return noDevice(a[2]!);
        if (inNetns === undefined) writeFileSync(join(hostLink(a[2]!), 'operstate'), `${a[3]}\n`);
        return ok();
      };
    if (a[0] === 'link' && a[1] === 'set' && a[3] === 'vf' && a.length === 7 && inNetns === undefined)
      return () => (exists(a[2]!) ? ok() : noDevice(a[2]!)); // a PF's VF setting: only recorded
    if (a[0] === 'link' && a[1] === 'del' && a.length === 3 && inNetns === undefined)
      return () => {
        if (!exists(a[2]!)) return noDevice(a[2]!);
        this.#deleteHostLink(a[2]!);
        return ok();
      };
    if (a.length === 6 && a.slice(0, 5).join(' ') === '-j -s link show dev' && inNetns !== undefined)
      return () => {
        const rx = this.#netns.get(inNetns)?.get(a[5]!);
        return rx === undefined ? noDevice(a[5]!) : show(a[5]!, rx);
      };
    return undefined;
  }

  /** Whether `path` is a symlink (class/net lists interfaces as links to their device). */
  #isLink(path: string): boolean {
    try {
      readlinkSync(path);
      return true;
    } catch {
      return false;
    }
  }

  /** A virtual interface, as the kernel lists one: devices/virtual/net/NAME and class/net/NAME. */
  #addHostLink(name: string): void {
    const dir = join(this.sysfs, 'devices/virtual/net', name);
    this.#file(join(dir, 'statistics/rx_packets'), '0\n');
    this.#file(join(dir, 'operstate'), 'down\n');
    this.#link(join(this.sysfs, 'class/net', name), dir);
  }

  /** Deletes a host-side interface and its veth peer (both ends go together). */
  #deleteHostLink(name: string): void {
    const peer = this.#peers.get(name);
    this.#peers.delete(name);
    for (const n of [name, ...(peer && peer.netns === undefined ? [peer.name] : [])]) {
      rmSync(join(this.sysfs, 'class/net', n), { force: true });
      rmSync(join(this.sysfs, 'devices/virtual/net', n), { recursive: true, force: true });
    }
    if (peer?.netns !== undefined) this.#netns.get(peer.netns)?.delete(peer.name);
  }

  /** This process may no longer open `path` (under the fake /dev) read-write, as a non-root user could not. */
  denyAccess(path: string): void {
    this.#denied.add(join(this.devfs, path));
  }

  /** The driver bound to a device now, or null. */
  driverOf(address: string): string | null {
    try {
      return basename(readlinkSync(this.#dev(address, 'driver')));
    } catch {
      return null;
    }
  }

  read(path: string): string {
    return readFileSync(join(this.sysfs, path), 'utf8');
  }

  cleanup(): void {
    rmSync(this.root, { recursive: true, force: true });
  }

  #dev(address: string, ...parts: string[]): string {
    return join(this.sysfs, 'devices/pci0000:00', address, ...parts);
  }

  #file(path: string, content = ''): void {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
  }

  #link(path: string, target: string): void {
    mkdirSync(dirname(path), { recursive: true });
    rmSync(path, { force: true });
    symlinkSync(relative(dirname(path), target), path);
  }

  #build(): void {
    const s = this.sysfs;
    this.#file(join(s, 'bus/pci/rescan'));
    this.#file(join(s, 'bus/pci/drivers_probe'));
    mkdirSync(join(s, 'bus/pci/devices'), { recursive: true });
    mkdirSync(join(s, 'class/net'), { recursive: true });
    mkdirSync(join(s, 'block'), { recursive: true });
    for (const d of this.#spec.drivers) {
      for (const f of ['bind', 'unbind', 'new_id', 'remove_id'])
        this.#file(join(s, 'bus/pci/drivers', d.name, f));
    }
    for (const m of this.#spec.modules ?? [])
      mkdirSync(join(s, 'module', m, 'parameters'), { recursive: true });
    for (let n = 0; n < (this.#spec.numaNodes ?? 1); n++)
      mkdirSync(join(s, `devices/system/node/node${n}`), { recursive: true });
    for (const [kb, _max] of Object.entries(this.#spec.hugepages ?? {})) {
      const dir = join(s, `kernel/mm/hugepages/hugepages-${kb}kB`);
      for (const f of ['nr_hugepages', 'free_hugepages', 'resv_hugepages', 'surplus_hugepages'])
        this.#file(join(dir, f), '0\n');
      for (let n = 0; n < (this.#spec.numaNodes ?? 1); n++) {
        const nd = join(s, `devices/system/node/node${n}/hugepages/hugepages-${kb}kB`);
        for (const f of ['nr_hugepages', 'free_hugepages']) this.#file(join(nd, f), '0\n');
      }
    }
    this.#file(join(this.procfs, 'mounts'), this.#spec.mounts ?? 'sysfs /sys sysfs rw 0 0\n');
    this.#file(
      join(this.procfs, 'meminfo'),
      `MemTotal:       ${this.#spec.memTotalKb ?? 4 * 1024 * 1024} kB\nHugepagesize:       2048 kB\n`,
    );
    mkdirSync(this.devfs, { recursive: true });
    mkdirSync(this.stateDir, { recursive: true });
    for (const d of this.#spec.devices) this.#addDevice(d);
  }

  #addDevice(d: FakeDevice): void {
    const dev = (...p: string[]) => this.#dev(d.address, ...p);
    this.#file(dev('vendor'), `0x${d.vendor}\n`);
    this.#file(dev('device'), `0x${d.device}\n`);
    this.#file(dev('subsystem_vendor'), `0x${d.subsystemVendor ?? d.vendor}\n`);
    this.#file(dev('subsystem_device'), `0x${d.subsystemDevice ?? d.device}\n`);
    this.#file(dev('class'), `0x${d.class}\n`);
    this.#file(dev('numa_node'), `${d.numaNode ?? -1}\n`);
    this.#file(dev('remove'));
    if (this.#spec.driverOverride !== false) this.#file(dev('driver_override'), '(null)\n');
    this.#link(join(this.sysfs, 'bus/pci/devices', d.address), dev());
    if (d.iommuGroup !== undefined) {
      const group = join(this.sysfs, 'kernel/iommu_groups', String(d.iommuGroup));
      this.#link(join(group, 'devices', d.address), dev());
      this.#link(dev('iommu_group'), group);
    }
    for (const b of d.block ?? []) {
      const at = d.nested ? dev(d.nested, 'block', b) : dev('block', b);
      mkdirSync(at, { recursive: true });
      this.#link(join(this.sysfs, 'block', b), at);
    }
    if (d.slot) {
      this.#file(join(this.sysfs, 'bus/pci/slots', d.slot, 'address'), `${d.address.slice(0, -2)}\n`);
      this.#file(join(this.sysfs, 'bus/pci/slots', d.slot, 'power'), '1\n');
    }
    if (d.vfs) {
      this.#file(dev('sriov_totalvfs'), `${d.vfs.length}\n`);
      this.#file(dev('sriov_numvfs'), '0\n');
    }
    if (d.driver) this.#bind(d.address, d.driver);
  }

  /** `sriov_numvfs` ← `count`: the PF's first `count` VFs appear (0: they all go), as the kernel does. */
  #setNumVfs(pf: FakeDevice, count: number, fail: (errno: string) => never): void {
    const vfs = pf.vfs ?? [];
    const now = Number(readFileSync(this.#dev(pf.address, 'sriov_numvfs'), 'utf8'));
    if (!Number.isInteger(count) || count < 0 || count > vfs.length) fail('ERANGE');
    if (now > 0 && count > 0) fail('EBUSY'); // the kernel changes VFs only through 0
    for (const [i, vf] of vfs.slice(0, now).entries()) {
      this.#removeDevice(vf.address);
      this.#removed.delete(vf.address);
      this.#spec.devices.splice(this.#spec.devices.indexOf(vf), 1);
      rmSync(this.#dev(pf.address, `virtfn${i}`), { force: true });
    }
    for (const [i, vf] of vfs.slice(0, count).entries()) {
      this.#spec.devices.push(vf);
      this.#addDevice(vf);
      this.#link(this.#dev(vf.address, 'physfn'), this.#dev(pf.address));
      this.#link(this.#dev(pf.address, `virtfn${i}`), this.#dev(vf.address));
    }
    writeFileSync(this.#dev(pf.address, 'sriov_numvfs'), `${count}\n`);
  }

  #spec_of(address: string): FakeDevice | undefined {
    return this.#spec.devices.find((d) => d.address === address);
  }

  #bind(address: string, driver: string): void {
    this.#link(this.#dev(address, 'driver'), join(this.sysfs, 'bus/pci/drivers', driver));
    this.#link(join(this.sysfs, 'bus/pci/drivers', driver, address), this.#dev(address));
    const d = this.#spec_of(address);
    // The kernel driver the device came with makes its interfaces; DPDK's drivers make none.
    if (d && driver === d.driver) {
      for (const i of d.interfaces ?? []) {
        const at = d.nested ? this.#dev(address, d.nested, 'net', i) : this.#dev(address, 'net', i);
        mkdirSync(at, { recursive: true });
        this.#link(join(this.sysfs, 'class/net', i), at);
      }
    }
  }

  #unbind(address: string): void {
    const driver = this.driverOf(address);
    if (!driver) return;
    rmSync(this.#dev(address, 'driver'), { force: true });
    rmSync(join(this.sysfs, 'bus/pci/drivers', driver, address), { force: true });
    const d = this.#spec_of(address);
    for (const i of d?.interfaces ?? []) {
      rmSync(join(this.sysfs, 'class/net', i), { force: true });
      rmSync(d?.nested ? this.#dev(address, d.nested, 'net') : this.#dev(address, 'net'), {
        recursive: true,
        force: true,
      });
    }
  }

  #present(address: string): boolean {
    try {
      readlinkSync(join(this.sysfs, 'bus/pci/devices', address));
      return true;
    } catch {
      return false;
    }
  }

  #override(address: string): string | null {
    try {
      const v = readFileSync(this.#dev(address, 'driver_override'), 'utf8').trim();
      return v && v !== '(null)' ? v : null;
    } catch {
      return null;
    }
  }

  #driverLoaded(driver: string): boolean {
    return this.#spec.drivers.some((d) => d.name === driver);
  }

  /** What the kernel's PCI match does: driver_override decides alone; otherwise the id tables. */
  #matches(address: string, driver: string): boolean {
    const override = this.#override(address);
    if (override !== null) return override === driver;
    const d = this.#spec_of(address);
    if (!d) return false;
    const id = `${d.vendor}:${d.device}`;
    const table = this.#spec.drivers.find((x) => x.name === driver)?.ids ?? [];
    return table.includes(id) || (this.#dynamicIds.get(driver)?.has(id) ?? false);
  }

  #probe(address: string, only?: string): void {
    if (!this.#present(address) || this.driverOf(address)) return;
    const driver = this.#spec.drivers.find(
      (d) => (only === undefined || d.name === only) && !d.refusesProbe && this.#matches(address, d.name),
    );
    if (driver) this.#bind(address, driver.name);
  }

  async #write(path: string, data: string): Promise<void> {
    const rel = relative(this.sysfs, path);
    this.writes.push({ path: rel, data });
    const failure = this.#failures.find((f) => f.times > 0 && f.pattern.test(rel));
    if (failure) {
      failure.times--;
      throw Object.assign(new Error(`${failure.errno}: injected failure, write '${rel}'`), {
        code: failure.errno,
      });
    }
    const fail = (errno: string): never => {
      throw Object.assign(new Error(`${errno}: write '${rel}'`), { code: errno });
    };
    const value = data.replace(/\0/g, '').trim();
    let m = /^bus\/pci\/devices\/([^/]+)\/driver_override$/.exec(rel);
    if (m) {
      if (!this.#present(m[1]!)) fail('ENOENT');
      writeFileSync(this.#dev(m[1]!, 'driver_override'), value ? `${value}\n` : '(null)\n');
      return;
    }
    m = /^bus\/pci\/drivers\/([^/]+)\/(bind|unbind|new_id|remove_id)$/.exec(rel);
    if (m) {
      const [, driver, op] = m as unknown as [string, string, string];
      if (!this.#driverLoaded(driver)) fail('ENOENT');
      if (op === 'unbind') {
        if (this.driverOf(value) !== driver) fail('ENODEV');
        this.#unbind(value);
      } else if (op === 'bind') {
        if (!this.#present(value)) fail('ENODEV');
        if (this.driverOf(value)) fail('EBUSY');
        if (!this.#matches(value, driver)) fail('ENODEV');
        if (this.#spec.drivers.find((d) => d.name === driver)?.refusesProbe) fail('ENODEV');
        this.#bind(value, driver);
      } else {
        const [v, d] = value.split(/\s+/);
        const id = `${v}:${d}`;
        const ids = this.#dynamicIds.get(driver) ?? new Set();
        this.#dynamicIds.set(driver, ids);
        if (op === 'new_id') {
          if (ids.has(id)) fail('EEXIST');
          ids.add(id);
          // The kernel then offers the new id to unbound devices, for this driver only.
          for (const dev of this.#spec.devices) this.#probe(dev.address, driver);
        } else {
          if (!ids.delete(id)) fail('ENODEV');
        }
      }
      return;
    }
    if (rel === 'bus/pci/drivers_probe') {
      if (!this.#present(value)) fail('ENODEV');
      this.#probe(value);
      return;
    }
    m = /^bus\/pci\/devices\/([^/]+)\/remove$/.exec(rel);
    if (m) {
      this.#removeDevice(m[1]!);
      return;
    }
    if (rel === 'bus/pci/rescan') {
      for (const d of [...this.#removed.values()]) this.#restoreDevice(d);
      return;
    }
    m = /^bus\/pci\/slots\/([^/]+)\/power$/.exec(rel);
    if (m) {
      const d = this.#spec.devices.find((x) => x.slot === m![1]);
      if (!d) fail('ENOENT');
      writeFileSync(path, `${value}\n`);
      if (value === '0') this.#removeDevice(d!.address);
      else if (this.#removed.has(d!.address)) this.#restoreDevice(d!);
      return;
    }
    m = /^bus\/pci\/devices\/([^/]+)\/sriov_numvfs$/.exec(rel);
    if (m) {
      const pf = this.#spec_of(m[1]!);
      if (!pf?.vfs || !this.#present(pf.address)) fail('ENOENT');
      this.#setNumVfs(pf!, Number(value), fail);
      return;
    }
    m = /hugepages-(\d+)kB\/nr_hugepages$/.exec(rel);
    if (m) {
      const max = this.#spec.hugepages?.[Number(m[1])] ?? 0;
      const granted = Math.min(Number(value), max);
      writeFileSync(path, `${granted}\n`);
      writeFileSync(join(dirname(path), 'free_hugepages'), `${granted}\n`);
      return;
    }
    fail('EACCES');
  }

  #removeDevice(address: string): void {
    const d = this.#spec_of(address);
    if (!d || !this.#present(address)) return;
    this.#unbind(address);
    rmSync(join(this.sysfs, 'bus/pci/devices', address), { force: true });
    rmSync(this.#dev(address), { recursive: true, force: true });
    for (const b of d.block ?? []) rmSync(join(this.sysfs, 'block', b), { force: true });
    this.#removed.set(address, d);
  }

  #restoreDevice(d: FakeDevice): void {
    this.#removed.delete(d.address);
    this.#addDevice({ ...d, driver: undefined });
    this.#probe(d.address);
  }
}

/** A small machine like a lab runner: its own NIC in use, two spare NICs, a disk. */
export function labMachine(overrides: Partial<FakeMachineSpec> = {}): FakeMachine {
  return new FakeMachine({
    devices: [
      {
        address: '0000:00:03.0',
        vendor: '1af4',
        device: '1041',
        class: '020000',
        driver: 'virtio-pci',
        interfaces: ['eth0'],
        nested: 'virtio0',
        iommuGroup: 3,
      },
      {
        address: '0000:00:02.0',
        vendor: '1af4',
        device: '1042',
        class: '010000',
        driver: 'virtio-pci',
        block: ['vda'],
        nested: 'virtio1',
        iommuGroup: 2,
      },
      {
        address: '0000:01:00.0',
        vendor: '8086',
        device: '10d3',
        class: '020000',
        driver: 'e1000e',
        interfaces: ['enp1s0'],
        iommuGroup: 10,
        numaNode: 0,
        slot: '1',
      },
      {
        address: '0000:02:00.0',
        vendor: '8086',
        device: '10d3',
        class: '020000',
        driver: 'e1000e',
        interfaces: ['enp2s0'],
        iommuGroup: 11,
        numaNode: 0,
        slot: '2',
      },
    ],
    drivers: [
      { name: 'virtio-pci', ids: ['1af4:1041', '1af4:1042'] },
      { name: 'e1000e', ids: ['8086:10d3'] },
      { name: 'vfio-pci' },
      { name: 'uio_pci_generic' },
    ],
    modules: ['vfio', 'vfio_pci', 'uio', 'uio_pci_generic', 'e1000e'],
    net: {
      links: [
        { name: 'eth0', up: true, addresses: ['192.0.2.2/24', 'fe80::1/64'] },
        { name: 'enp1s0', up: false, addresses: [] },
        { name: 'enp2s0', up: true, addresses: ['fe80::2/64'] },
      ],
      routes: [
        { dev: 'eth0', dst: 'default', default: true },
        { dev: 'eth0', dst: '192.0.2.0/24', default: false },
        { dev: 'enp2s0', dst: 'fe80::/64', default: false },
      ],
    },
    mounts: 'sysfs /sys sysfs rw 0 0\n/dev/vda / ext4 rw 0 0\n',
    hugepages: { 2048: 512, 1048576: 0 },
    ...overrides,
  });
}
