/**
 * What differs between the DPDK releases the SDK supports (22.11 and newer), in one place:
 * callers ask here, never compare version strings of their own. Each difference says which
 * release brought it and how it was seen.
 */

export interface DpdkRelease {
  /** `22` for 22.11. */
  readonly year: number;
  /** `11` for 22.11. */
  readonly month: number;
}

/** `DPDK 22.11.11`, `22.11.11` or `25.11` → { year: 22, month: 11 }; undefined for anything else. */
export function releaseOf(version: string): DpdkRelease | undefined {
  const m = /(\d+)\.(\d+)/.exec(version);
  return m ? { year: Number(m[1]), month: Number(m[2]) } : undefined;
}

/** Whether `version` is `year.month` or newer (an unparsable version counts as the oldest). */
export function atLeast(version: string, year: number, month: number): boolean {
  const r = releaseOf(version);
  return r !== undefined && (r.year > year || (r.year === year && r.month >= month));
}

/**
 * net_bonding's key for a member port: `slave` until 23.07; DPDK 23.11 renamed it `member` and
 * 24.11's bonding refuses `slave` ("Invalid args", seen in the release matrix).
 */
export function bondingMemberKey(version: string): 'slave' | 'member' {
  return atLeast(version, 23, 11) ? 'member' : 'slave';
}

/**
 * The EAL's interrupt thread's name: `eal-intr-thread` until 23.07; DPDK 23.11 names its
 * control threads `dpdk-<name>` (`dpdk-intr`), seen in the release matrix's 23.11 build.
 */
export function interruptThreadName(version: string): string {
  return atLeast(version, 23, 11) ? 'dpdk-intr' : 'eal-intr-thread';
}
