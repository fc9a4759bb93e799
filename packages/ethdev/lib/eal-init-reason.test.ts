/**
 * EAL_INIT_FAILED's one line. The log lines are DPDK 22.11.11's own, from SDK secondaries that
 * could not map their primary's memory (conformance's check 14 processes, 7 December 2026): the
 * failure comes at random, so it is not provoked here.
 */
import { describe, expect, it } from 'vitest';
import { initFailureReason } from './eal-init-reason.js';

const SECONDARY_LOG = [
  'EAL: Detected CPU lcores: 2',
  'EAL: Cannot get a virtual area at requested address: 0x200800600000 (got 0x7ffbac000000)',
  "EAL: Cannot reserve 17179869184 bytes at [0x200800600000] - please use '--base-virtaddr' option",
  'EAL: Cannot init memory',
];

describe('why rte_eal_init failed', () => {
  it("a secondary whose own mapping sits where the primary's memory goes: the address and what to do", () => {
    const reason = initFailureReason(SECONDARY_LOG, true);
    expect(reason).toMatch(
      /^this process already has a mapping at 0x200800600000, where the primary's memory/,
    );
    expect(reason).toMatch(
      /start this process again, or start the primary with extraArgs \['--base-virtaddr', '0x500000000000'\]/,
    );
  });

  it("a primary's same words are DPDK's last line: no advice about a primary it is not", () => {
    expect(initFailureReason(SECONDARY_LOG, false)).toBe('EAL: Cannot init memory');
  });

  it("a PMD that would not load comes first; else DPDK's last line past its start-up chatter", () => {
    expect(
      initFailureReason(
        ['EAL: x.so: cannot open shared object file', 'EAL: FATAL: Cannot init plugins'],
        true,
      ),
    ).toBe('a PMD could not be loaded: x.so: cannot open shared object file');
    expect(initFailureReason(['EAL: Detected NUMA nodes: 1', 'EAL: Selected IOVA mode'], false)).toBe(
      'see dpdkLog',
    );
  });
});
