// The parser on transcripts recorded from DPDK 22.11 (this host), 24.11 (Debian 13) and 25.11
// (sid) by lib/testpmd/testpmd-record.ts: every answer is read, and the same scenario gives the same
// typed answers whatever each release's wording.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exchanges, parseAnswer, type TestpmdAnswer, TestpmdParseError } from './testpmd-parse.js';

const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures', 'testpmd');
const RELEASES = ['22.11', '24.11', '25.11'];

function answers(release: string, dut: string): { command: string; answer: TestpmdAnswer }[] {
  const raw = readFileSync(join(FIXTURES, release, `${dut}.txt`), 'latin1');
  return exchanges(raw).map(({ command, text }) => ({ command, answer: parseAnswer(command, text) }));
}

/** The answer's kind and what it says, without logs (their wording is each release's). */
function gist(a: TestpmdAnswer): string {
  switch (a.kind) {
    case 'attached':
      return `attached ${a.ports.join(',')} of ${a.total}`;
    case 'info':
      return `info ${a.port}: ${a.name} ${a.driver}`;
    case 'started':
      return 'started';
    case 'stopped':
      return 'stopped';
    case 'closed':
      return `closed ${a.ports.join(',')}`;
    case 'detached':
      return `detached ${a.device}, ${a.total} left`;
    case 'refused':
      return `refused ${a.refusal}${a.port !== undefined ? ` ${a.port}` : ''}`;
    case 'summary':
      return `summary ${a.ports.map((p) => `${p.port}=${p.name}/${p.driver}`).join(' ') || 'none'}`;
  }
}

describe('testpmd answers on recorded transcripts', () => {
  it('has transcripts of every release', () => {
    for (const r of RELEASES) expect(readdirSync(join(FIXTURES, r)).length).toBeGreaterThanOrEqual(4);
  });

  for (const release of RELEASES) {
    it(`reads every answer of ${release} the same way`, () => {
      expect(answers(release, 'net_null').map((x) => `${x.command} → ${gist(x.answer)}`)).toEqual([
        'port attach net_null0 → attached 0 of 1',
        'show port info 0 → info 0: net_null0 net_null',
        'port start 0 → started',
        'port detach 0 → refused port-not-stopped',
        'port stop 0 → stopped',
        'port close 0 → closed 0',
        'device detach net_null0 → detached net_null0, 0 left',
        'port attach net_null0 → attached 0 of 1',
        'port attach net_null0 → refused attach-failed',
        'port attach net_null1,dphp_no_such_argument=1 → refused attach-failed',
        'port attach net_no_such_pmd0 → refused attach-failed',
        'show port info 9 → refused invalid-port 9',
        'port stop 9 → refused invalid-port 9',
        // 22.11: "Invalid port_id=9"; 24.11 and 25.11: "ETHDEV: Invalid port_id=9".
        'port detach 9 → refused invalid-port 9',
        'device detach net_null7 → refused detach-failed',
      ]);
    });

    it(`reads failsafe's two ports and tap's warnings in ${release}`, () => {
      const fs = answers(release, 'net_failsafe').map((x) => gist(x.answer));
      // The failsafe port first, then its sub-device (owned by it); close closes both.
      expect(fs[0]).toBe('attached 0,1 of 2');
      expect(fs[1]).toBe('info 0: net_failsafe0 net_failsafe');
      expect(fs).toContain('closed 1,0');
      const tap = answers(release, 'net_tap');
      expect(gist(tap[0]!.answer)).toBe('attached 0 of 1');
      // This kernel has no multiq qdisc: the PMD says so, and attaches.
      expect(tap[0]!.answer.logs.join('\n')).toMatch(/multiq/);
      expect(gist(tap.find((x) => x.command.startsWith('device detach'))!.answer)).toBe(
        'detached net_tap0, 0 left',
      );
    });
  }

  it('reads every answer of every transcript, the scenario whole in each', () => {
    for (const release of RELEASES) {
      // Check 16's transcripts; the multi-process ones (mp-*) have a scenario of their own, below.
      for (const file of readdirSync(join(FIXTURES, release)).filter((f) => !f.startsWith('mp-'))) {
        const all = answers(release, file.replace(/\.txt$/, '')).map((x) => x.answer.kind);
        // Helper ports first; then attach, info, start, refused detach, stop, close, detach, re-attach.
        const from = all.indexOf('info') - 1;
        expect(all.slice(from, from + 8), `${release}/${file}`).toEqual([
          'attached',
          'info',
          'started',
          'refused',
          'stopped',
          'closed',
          'detached',
          'attached',
        ]);
      }
    }
  });

  it('keeps the fields each release adds to the info block', () => {
    const info = (r: string) => answers(r, 'net_null')[1]!.answer as Extract<TestpmdAnswer, { kind: 'info' }>;
    expect(info('22.11').fields).not.toHaveProperty('Hash key size in bytes');
    expect(info('24.11').fields).toHaveProperty('Hash key size in bytes');
    expect(info('25.11').fields).toHaveProperty('Minimum MTU');
  });
});

// Check 17's transcripts (lib/testpmd/testpmd-record.ts, recordMultiProcess): the scenario through a
// primary and a secondary testpmd, then the primary's refusals of a port the secondary attached.
describe('multi-process answers on recorded transcripts', () => {
  const gists = (release: string, role: string) =>
    answers(release, `mp-net_null-${role}`).map(
      (x) =>
        `${x.command} → ${gist(x.answer)}${x.answer.events.map((e) => ` [port ${e.port} ${e.event}]`).join('')}`,
    );
  for (const release of RELEASES) {
    it(`reads the primary's answers of ${release}, the refusals of a port the secondary attached too`, () => {
      expect(gists(release, 'primary')).toEqual([
        'port attach net_null0 → attached 0 of 1',
        'show port summary all → summary 0=net_null0/net_null',
        // The SDK's order in a primary: the stopped port's device removed without closing first.
        'port detach 0 → detached , 0 left',
        'show port summary all → summary 0=net_null0/net_null',
        // The secondary removed it: the primary's DESTROY handler prints this at any moment.
        'show port summary all → summary none [port 0 closed]',
        'show port summary all → summary 0=net_null0/net_null',
        'port detach 0 → refused port-not-stopped',
        'device detach net_null0 → refused port-not-stopped 0',
        'port start 0 → refused port-not-stopped 0',
        'show port summary all → summary none [port 0 closed]',
      ]);
    });

    it(`reads the secondary's answers of ${release}`, () => {
      expect(gists(release, 'secondary')).toEqual([
        'show port summary all → summary 0=net_null0/net_null',
        'show port summary all → summary none [port 0 closed]',
        'port attach net_null0 → attached 0 of 1',
        'show port summary all → summary 0=net_null0/net_null',
        'port detach 0 → detached , 0 left',
        'port attach net_null0 → attached 0 of 1',
        'port detach 0 → detached , 0 left',
      ]);
    });
  }

  it("keeps each release's secondary start-up words out of the answers", () => {
    // 22.11: "rte_pdump_init(): cannot allocate …", 24.11: "PDUMP: rte_pdump_init(): …", 25.11: none.
    const start = (r: string) =>
      readFileSync(join(FIXTURES, r, 'mp-net_null-secondary.txt'), 'latin1').split('testpmd> ')[0]!;
    expect(start('22.11')).toMatch(/^rte_pdump_init\(\): cannot allocate pdump statistics$/m);
    expect(start('24.11')).toMatch(/^PDUMP: rte_pdump_init\(\)/m);
    expect(start('25.11')).not.toMatch(/pdump/);
  });
});

describe("testpmd's notices", () => {
  it('reads "Port was not closed" (22.11 detach_port_device, a stopped port not marked closed) as a notice', () => {
    // Seen with net_af_xdp on 22.11: testpmd goes on and detaches the device.
    const text =
      'Removing a device...\nPort was not closed\nDevice net_af_xdp0 is detached\nNow total ports is 0\nDone\n';
    expect(parseAnswer('port detach 0', text)).toMatchObject({
      kind: 'detached',
      device: 'net_af_xdp0',
      total: 0,
    });
  });
});

describe("ethdev's refusal of a name it still holds", () => {
  // Seen in a certification (22.11): net_memif's second attach in a testpmd primary, after its
  // first attach failed on a socket another process held.
  for (const prefix of ['', 'ETHDEV: '])
    it(`reads "${prefix}Ethernet device with name … already allocated" as a failed attach`, () => {
      const text = `Attaching a new port...\n${prefix}Ethernet device with name net_memif0 already allocated\nEAL: Driver cannot attach the device (net_memif0)\nEAL: Failed to attach device on primary process\ntestpmd: Failed to attach port net_memif0,role=server\n`;
      expect(parseAnswer('port attach net_memif0,role=server', text)).toMatchObject({
        kind: 'refused',
        refusal: 'attach-failed',
        text: `${prefix}Ethernet device with name net_memif0 already allocated`,
      });
    });
});

describe('output it does not understand', () => {
  it('throws with the text instead of guessing', () => {
    const text = 'Attaching a new port...\nPort 0 is now somewhere else\nDone\n';
    const e = (() => {
      try {
        parseAnswer('port attach net_null0', text);
      } catch (err) {
        return err;
      }
    })();
    expect(e).toBeInstanceOf(TestpmdParseError);
    expect((e as TestpmdParseError).text).toBe(text);
    expect((e as TestpmdParseError).message).toContain('"Port 0 is now somewhere else"');
  });

  it('throws on an answer that lacks what the command must say', () => {
    expect(() => parseAnswer('device detach net_null0', 'Removing a device...\nDone\n')).toThrow(
      /no "Device … is detached" line/,
    );
    expect(() => parseAnswer('show port info 0', '\nMAC address: 00:00:00:00:00:00\n')).toThrow(
      /no "Infos for port" header/,
    );
  });

  it('refuses a summary whose rows do not match its count, or a row it cannot read', () => {
    const head =
      'Number of available ports: 2\nPort MAC Address       Name         Driver         Status   Link\n';
    const row = '0    3E:26:CD:BA:4D:35 net_null0    net_null       down     10 Gbps\n';
    expect(() => parseAnswer('show port summary all', head + row)).toThrow(/2 ports announced, 1 listed/);
    expect(() => parseAnswer('show port summary all', `${head + row}1    net_null1 net_null\n`)).toThrow(
      /the line "1 {4}net_null1 net_null"/,
    );
    expect(() => parseAnswer('show port summary all', row)).toThrow(TestpmdParseError);
  });

  it('refuses a command it has no format for', () => {
    expect(() => parseAnswer('show port stats 0', '')).toThrow(TestpmdParseError);
  });
});
