// The scenario's start of the secondary, above DPDK: a fake group whose secondaries fail to start
// as often as asked (what a Node secondary's EAL does when V8's mappings take DPDK's addresses;
// the real processes are check 14's e2e tests and testpmd-mp.test.ts).
import { describe, expect, it } from 'vitest';
import { type MpGroup, type MpPeer, runMpOnce, SECONDARY_ATTEMPTS } from './mp-scenario.js';

/** One DPDK instance's port list, shared by its processes; the first `failures` secondaries die at start. */
function fakeGroup(failures: number): MpGroup & { started: number; stopped: number } {
  const ports = new Set<string>();
  const peer = (ready: boolean): MpPeer => ({
    next: async () =>
      ready
        ? { ready: true }
        : { ready: false, message: 'EAL: Cannot init memory', dpdkLog: ['Cannot get a virtual area'] },
    request: async (op, args) => {
      if (op === 'attach') {
        const name = args.devargs!.split(',')[0]!;
        ports.add(name);
        return { port: 0 };
      }
      ports.delete(args.device!);
      return { detached: args.device };
    },
    devices: async () => [...ports],
    stop: async () => {
      group.stopped++;
    },
  });
  const group = {
    started: 0,
    stopped: 0,
    primary: peer(true),
    startSecondary: () => peer(++group.started > failures),
    stop: async () => {},
  };
  return group;
}

const scenario = {
  devargs: 'net_null0',
  device: 'net_null0',
  order: 'remove-unclosed' as const,
  settled: async () => true,
};

describe('the secondary is the machine’s until it starts', () => {
  it(`starts at the ${SECONDARY_ATTEMPTS}th attempt: the scenario runs, and the report says so`, async () => {
    const group = fakeGroup(SECONDARY_ATTEMPTS - 1);
    const notes: string[] = [];
    const { outcome } = await runMpOnce('check 14', async () => group, {
      ...scenario,
      note: (type, d) => notes.push(`${type}: ${d}`),
    });
    expect(outcome).toEqual({ run: 'check 14', result: 'pass' });
    expect(group.started).toBe(SECONDARY_ATTEMPTS);
    expect(group.stopped).toBe(SECONDARY_ATTEMPTS - 1); // each failed one stopped before the next
    expect(notes).toEqual([
      `retried: the secondary started at attempt ${SECONDARY_ATTEMPTS}; before: EAL: Cannot init memory (Cannot get a virtual area)`,
    ]);
  });

  it('never starting is "could not run" with the last words, not a failure of the PMD', async () => {
    const group = fakeGroup(SECONDARY_ATTEMPTS);
    const { outcome } = await runMpOnce('check 14', async () => group, scenario);
    expect(outcome).toMatchObject({ result: 'could not run', step: 1 });
    expect(outcome.said).toMatch(
      new RegExp(
        `did not start in ${SECONDARY_ATTEMPTS} attempts: EAL: Cannot init memory \\(Cannot get a virtual area\\)$`,
      ),
    );
    expect(group.started).toBe(SECONDARY_ATTEMPTS);
  });

  it('a secondary that starts at once says nothing', async () => {
    const notes: string[] = [];
    const { outcome } = await runMpOnce('check 14', async () => fakeGroup(0), {
      ...scenario,
      note: (t) => notes.push(t),
    });
    expect(outcome.result).toBe('pass');
    expect(notes).toEqual([]);
  });
});
