import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { planFromArgs } from '../plan/cli.js';
import {
  blobName,
  dutsFromInventory,
  InventoryError,
  parseInventory,
  parseShard,
  readInventory,
  shardOf,
} from './inventory.js';
import { InventorySchema } from './inventory-schema.js';

const work = mkdtempSync(join(tmpdir(), 'dphp-inventory-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const published = join(import.meta.dirname, '..', '..', 'schema', 'inventory.schema.json');

const GOOD = `# a lab of two runners
version: 1
runners:
  - name: lab1
    dpdk: "22.11"
    hugepages: 512M
    duts:
      - pci: 0000:3b:00.0
        model: X710
        ids: 8086:1572
        driver: vfio-pci
        kernelDriver: i40e
        traffic: peer=enp94s0f0
        removal: sysfs-remove
        cycles: 200
      - name: lab1-x710-p1
        pci: 3b:00.1
        model: X710
        ids: 8086:1572
        driver: igb_uio
        kernelDriver: i40e
        traffic: none
        removal: slot-power
        unplug: surprise
        pmd: net_i40e
        args: rx_low_latency=1
  - name: lab2
    duts:
      - vdev: net_null0
      - vdev: net_tap0,iface={iface}
        setup: tap
        traffic: peer=dtap0
        needsRoot: true
`;

/** The problems of an inventory text, one line each. */
function problems(text: string): string[] {
  try {
    parseInventory(text, 'lab.yaml');
  } catch (e) {
    if (e instanceof InventoryError) return e.problems;
    throw e;
  }
  return [];
}

describe('lab inventory', () => {
  it('publishes the TypeBox schema as schema/inventory.schema.json (UPDATE_SCHEMA=1 rewrites it)', () => {
    const text = `${JSON.stringify(InventorySchema, null, 2)}\n`;
    if (process.env.UPDATE_SCHEMA === '1') writeFileSync(published, text);
    expect(JSON.parse(readFileSync(published, 'utf8'))).toEqual(JSON.parse(text));
  });

  it('reads runners and their PCI and vdev DUTs, in YAML and in JSON alike', () => {
    const inv = parseInventory(GOOD, 'lab.yaml');
    expect(inv.runners.map((r) => r.name)).toEqual(['lab1', 'lab2']);
    expect(dutsFromInventory(inv, 'lab1')).toMatchObject([
      {
        name: 'lab1-0000-3b-00-0',
        pmd: 'X710',
        devargs: '0000:3b:00.0',
        traffic: 'kernel-peer',
        peerInterface: 'enp94s0f0',
        cycles: 200,
        runner: 'lab1',
        // A NIC the runner can take away runs the PCI checks (clean removal unless said).
        pci: {
          ids: '8086:1572',
          driver: 'vfio-pci',
          kernelDriver: 'i40e',
          removal: 'sysfs-remove',
          unplug: 'clean',
        },
      },
      {
        name: 'lab1-x710-p1',
        pmd: 'net_i40e',
        devargs: '0000:3b:00.1,rx_low_latency=1',
        traffic: 'none',
        pci: { removal: 'slot-power', unplug: 'surprise' },
      },
    ]);
    // With no removal, no PCI checks (the vdev checks, on a NIC bound beforehand); unplug refused.
    const none = GOOD.replace('removal: sysfs-remove', 'removal: none');
    expect(dutsFromInventory(parseInventory(none, 'lab.yaml'), 'lab1')[0]!.pci?.unplug).toBeUndefined();
    expect(problems(none.replace('removal: slot-power', 'removal: none'))).toEqual([
      'lab.yaml:24:17: runners[0].duts[1].unplug: needs a removal the runner can make (slot-power, sysfs-remove or qemu), not none',
    ]);
    expect(dutsFromInventory(inv, 'lab2')).toMatchObject([
      { name: 'lab2-net_null0', pmd: 'net_null', traffic: 'source-sink', setup: 'none' },
      { name: 'lab2-net_tap0', setup: 'tap', needsRoot: true, peerInterface: 'dtap0' },
    ]);
    expect(dutsFromInventory(inv)).toHaveLength(4);
    const json = join(work, 'lab.json');
    writeFileSync(json, JSON.stringify(inv.document, null, 2));
    expect(readInventory(json).runners).toEqual(inv.runners);
  });

  /**
   * Steps: one inventory with a missing field, a wrong PCI address, a near-miss driver, an
   * unknown field, a duplicate DUT, a version as a number.
   * Verify: one line per problem, each with its file, line and field; nothing is returned.
   */
  it('names every problem with its line and field, one line each', () => {
    const bad = `version: 1
runners:
  - name: lab1
    dpdk: 22.11
    duts:
      - pci: 0000:3b:00
        model: X710
        ids: 8086:1572
        driver: vfio_pci
        kernelDriver: i40e
        traffic: none
        removal: none
      - pci: 0000:3b:00.1
        model: X710
        driver: igb_uio
        kernelDriver: i40e
        traffic: none
        removal: none
        kernel_driver: i40e
`;
    expect(problems(bad)).toEqual([
      'lab.yaml:4:11: runners[0].dpdk: 22.11 is a number, not text: write it in quotes (the DPDK version (or version prefix) the runner must have, quoted: "22.11")',
      'lab.yaml:6:14: runners[0].duts[0].pci: "0000:3b:00" is not valid: a PCI address, domain:bus:device.function (0000:3b:00.0)',
      'lab.yaml:9:17: runners[0].duts[0].driver: "vfio_pci" is not one of vfio-pci, igb_uio, uio_pci_generic (did you mean vfio-pci?)',
      "lab.yaml:13:9: runners[0].duts[1].ids: missing: the model's vendor:device ids, lower-case hex as lspci -n prints them (8086:10d3)",
      'lab.yaml:19:24: runners[0].duts[1].kernel_driver: unknown field (did you mean kernelDriver?); known: name, pci, model, ids, driver, kernelDriver, traffic, removal, unplug, pmd, args, cycles, mbufs, expectations, pmdFile',
    ]);
  });

  it("gives a DUT with two problems two lines, in the file's order", () => {
    const text = `version: 1
runners:
  - name: lab1
    duts:
      - vdev: net_null0
        name: same
      - vdev: 'net_failsafe0,exec(echo net_null0)'
        traffic: loopbak
  - name: lab2
    duts:
      - vdev: net_ring0
        name: same
`;
    expect(problems(text).map((p) => p.split(': ').slice(0, 2).join(': '))).toEqual([
      'lab.yaml:7:15: runners[0].duts[1].vdev',
      'lab.yaml:8:18: runners[0].duts[1].traffic',
      'lab.yaml:12:15: runners[1].duts[0].name',
    ]);
  });

  it.each([
    [
      'a duplicate DUT name',
      'dup',
      /runners\[1\]\.duts\[0\]\.name: DUT same is named twice \(first at line \d+:\d+\)/,
    ],
    [
      'a PCI address twice on a runner',
      'addr',
      /lab\.yaml:12:14: runners\[0\]\.duts\[1\]\.pci: 0000:01:00\.0 is listed twice on runner r1 \(first at line 5:14\)/,
    ],
    ['a runner named twice', 'runner', /runners\[1\]\.name: runner r1 is named twice/],
    [
      'hostile devargs',
      'hostile',
      /lab\.yaml:5:15: runners\[0\]\.duts\[0\]\.vdev: .*exec\(\.\.\.\) runs the shell command/,
    ],
    [
      'a traffic typo',
      'traffic',
      /runners\[0\]\.duts\[0\]\.traffic: "loopbak" is not one of .* \(did you mean loopback\?\)/,
    ],
    ['a DUT that is neither', 'neither', /runners\[0\]\.duts\[0\]: a DUT needs pci \(a PCI NIC\) or vdev/],
    ['bad YAML', 'yaml', /^lab\.yaml:\d+:\d+: .*\([A-Z_]+\)$/],
  ])('refuses %s', (_what, which, message) => {
    const pci = (addr: string, name = '') =>
      `      - pci: ${addr}\n${name}        model: e1000e\n        ids: 8086:10d3\n        driver: vfio-pci\n        kernelDriver: e1000e\n        traffic: none\n        removal: sysfs-remove\n`;
    const texts: Record<string, string> = {
      dup: `version: 1\nruners: []\n`.replace(
        'runers: []\n',
        'runners:\n  - name: r1\n    duts:\n      - vdev: net_null0\n        name: same\n  - name: r2\n    duts:\n      - name: same\n        vdev: net_null0\n',
      ),
      addr: `version: 1\nrunners:\n  - name: r1\n    duts:\n${pci('0000:01:00.0')}${pci('01:00.0', '        name: other\n')}`,
      runner:
        'version: 1\nrunners:\n  - name: r1\n    duts: [{vdev: net_null0}]\n  - name: r1\n    duts: [{vdev: net_ring0}]\n',
      hostile:
        "version: 1\nrunners:\n  - name: r1\n    duts:\n      - vdev: 'net_failsafe0,exec(echo net_null0)'\n",
      traffic:
        'version: 1\nrunners:\n  - name: r1\n    duts:\n      - vdev: net_ring0\n        traffic: loopbak\n',
      neither: 'version: 1\nrunners:\n  - name: r1\n    duts:\n      - model: x\n',
      yaml: 'version: 1\nrunners:\n  - name: [r1\n',
    };
    const found = problems(texts[which]!);
    expect(
      found.some((p) => message.test(p)),
      found.join('\n'),
    ).toBe(true);
  });

  it('lets DUTs QEMU plugs and unplugs share an address: its slot holds one at a time', () => {
    const pci = (name: string, model: string, ids: string) =>
      `      - pci: 0000:01:00.0\n        name: ${name}\n        model: ${model}\n        ids: ${ids}\n        driver: vfio-pci\n        kernelDriver: ${model}\n        traffic: none\n        removal: qemu\n`;
    const text = `version: 1\nrunners:\n  - name: r1\n    duts:\n${pci('a', 'e1000e', '8086:10d3')}${pci('b', 'e1000', '8086:100e')}`;
    expect(problems(text)).toEqual([]);
    expect(dutsFromInventory(parseInventory(text, 'lab.yaml'), 'r1').map((d) => d.devargs)).toEqual([
      '0000:01:00.0',
      '0000:01:00.0',
    ]);
  });

  it('refuses the JSON inventory of before with how to convert it, and an unknown runner with the nearest', () => {
    const old = JSON.stringify({
      runners: [{ name: 'qemu1', ports: [{ pci: '0000:01:00.0', model: 'e1000e' }] }],
    });
    expect(problems(old)).toEqual([
      expect.stringMatching(
        /^lab\.yaml:1:1: this is the JSON inventory of before .* rename each runner's "ports" to "duts"/,
      ),
    ]);
    expect(() => dutsFromInventory(parseInventory(GOOD, 'lab.yaml'), 'lab3')).toThrow(
      'lab.yaml: no runner lab3 (did you mean lab1?); runners: lab1, lab2',
    );
  });

  it("refuses what the YAML parser refuses in one line naming the file: an alias bomb's 9^7 expansions", () => {
    // The "billion laughs" of YAML: each alias level multiplies the expansions by 9.
    const levels = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 8; i++) {
      const prev = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      levels.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    const found = problems(`${levels.join('\n')}\nversion: 1\nrunners: []\n`);
    expect(found).toEqual([expect.stringMatching(/^lab\.yaml: not read as YAML: Excessive alias count/)]);
    expect(found[0]).not.toContain('\n');
  });

  it("certify --inventory --runner takes a runner's DUTs; a malformed inventory is refused before anything runs", () => {
    const file = join(work, 'lab.yaml');
    writeFileSync(file, GOOD);
    expect(
      planFromArgs(['certify', '--inventory', file, '--runner', 'lab2'])!.duts.map((d) => d.name),
    ).toEqual(['lab2-net_null0', 'lab2-net_tap0']);
    writeFileSync(file, GOOD.replace('vfio-pci', 'vfio'));
    // Planned, an inventory's problems are usage errors with the same one line (exit 2).
    expect(() => planFromArgs(['certify', '--inventory', file])).toThrow(
      /lab\.yaml:11:17: runners\[0\]\.duts\[0\]\.driver: "vfio" is not one of/,
    );
  });

  it("reads the virtual lab's example inventory", () => {
    const file = join(import.meta.dirname, '..', '..', '..', 'hil', 'inventory', 'virtual-lab.yaml');
    const inv = readInventory(file);
    expect(inv.runners.length).toBeGreaterThanOrEqual(2);
    for (const r of inv.runners) expect(r.duts.length).toBeGreaterThanOrEqual(3);
  });

  /**
   * Steps: split a runner of 5 vdev DUTs in 2 shards; ask for a shard of a runner with PCI DUTs;
   * bad --shard texts.
   * Verify: the shards are disjoint and cover the runner; PCI runners and bad texts are refused.
   */
  it("splits a runner's vdev DUTs into shards, and refuses to shard PCI DUTs", () => {
    const vdevs = ['net_null0', 'net_null1', 'net_ring0', 'net_ring1', 'net_null2'];
    const inv = parseInventory(
      `version: 1\nrunners:\n  - name: pool\n    duts:\n${vdevs.map((v) => `      - vdev: ${v}\n`).join('')}`,
      'lab.yaml',
    );
    const all = dutsFromInventory(inv, 'pool');
    const one = shardOf(all, parseShard('1/2')).map((d) => d.name);
    const two = shardOf(all, parseShard('2/2')).map((d) => d.name);
    expect(one).toEqual(['pool-net_null0', 'pool-net_ring0', 'pool-net_null2']);
    expect(two).toEqual(['pool-net_null1', 'pool-net_ring1']);
    expect(blobName('pool', parseShard('2/2'))).toBe('report-pool-2-of-2.zip');
    expect(() =>
      shardOf(dutsFromInventory(parseInventory(GOOD, 'lab.yaml'), 'lab1'), parseShard('1/2')),
    ).toThrow(/runner lab1 has PCI DUTs \(lab1-0000-3b-00-0, lab1-x710-p1\)/);
    for (const bad of ['0/2', '3/2', '1/0', '1', '1/2/3', '01/2', ' 1/2'])
      expect(() => parseShard(bad), bad).toThrow(/--shard must be I\/N/);
    expect(() => planFromArgs(['certify', '--shard', '1/2'])).toThrow(/give --inventory and --runner too/);
  });
});
