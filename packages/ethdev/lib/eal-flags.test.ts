/** The extraArgs allowlist per release (pure: no DPDK). */
import { describe, expect, it } from 'vitest';
import { extraArgsProblem } from './eal-flags.js';

describe('EAL flags per release', () => {
  it('passes 24.11 log flags from 24.11 on, and says which release brought them before that', () => {
    expect(extraArgsProblem(['--log-timestamp'], '24.11.8')).toBeUndefined();
    expect(extraArgsProblem(['--log-color=always'], '25.11.4')).toBeUndefined();
    expect(extraArgsProblem(['--log-timestamp'], '22.11.11')).toMatch(
      /--log-timestamp is not an EAL flag of DPDK 22.11.11 .*it came in DPDK 24.11/,
    );
  });

  it("passes 25.11's new flags on 25.11 only, with their values", () => {
    expect(extraArgsProblem(['--numa-mem', '64', '--version'], '25.11.4')).toBeUndefined();
    expect(extraArgsProblem(['--numa-mem'], '25.11.4')).toMatch(/--numa-mem needs a value/);
    expect(extraArgsProblem(['--version=1'], '25.11.4')).toMatch(/--version takes no value/);
    expect(extraArgsProblem(['--numa-mem', '64'], '24.11.8')).toMatch(/it came in DPDK 25.11/);
  });

  it("refuses 25.11's long names of typed options, in every release", () => {
    expect(extraArgsProblem(['--memory-size=64'], '25.11.4')).toMatch(/give the memoryMb option instead/);
    expect(extraArgsProblem(['--driver-path', '/x'], '22.11.11')).toMatch(/give the drivers option instead/);
  });

  it('checks against every release while the DPDK in use is not known yet', () => {
    expect(extraArgsProblem(['--numa-limit', '1'])).toBeUndefined();
    expect(extraArgsProblem(['--no-such-flag'])).toMatch(/not an EAL flag of DPDK 22.11 to 25.11/);
  });
});
