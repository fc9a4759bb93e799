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

/** A DPDK version: `22.11.11` is { year: 22, month: 11, minor: 11 }. */
export interface DpdkVersion extends DpdkRelease {
  /** `11` for 22.11.11; 0 when the version names the release alone (`25.11`). */
  readonly minor: number;
}

/** `DPDK 22.11.11`, `22.11.11` or `25.11` → { year: 22, month: 11, minor: 11 (or 0) }; undefined for anything else. */
export function versionOf(version: string): DpdkVersion | undefined {
  const m = /(\d+)\.(\d+)(?:\.(\d+))?/.exec(version);
  return m ? { year: Number(m[1]), month: Number(m[2]), minor: Number(m[3] ?? 0) } : undefined;
}

/** `DPDK 22.11.11`, `22.11.11` or `25.11` → { year: 22, month: 11 }; undefined for anything else. */
export function releaseOf(version: string): DpdkRelease | undefined {
  const v = versionOf(version);
  return v && { year: v.year, month: v.month };
}

/** Whether `version` is `year.month` or newer (an unparsable version counts as the oldest). */
export function atLeast(version: string, year: number, month: number): boolean {
  const r = releaseOf(version);
  return r !== undefined && (r.year > year || (r.year === year && r.month >= month));
}

/**
 * DPDK's RTE_VERSION_NUM packing of a version, `year << 16 | month << 8 | minor`, as the shim
 * reports the DPDK it was built for (`dphp_built_for`); undefined for an unparsable version.
 */
export function versionNumber(version: string): number | undefined {
  const v = versionOf(version);
  return v && (v.year << 16) | (v.month << 8) | v.minor;
}

/** versionNumber's inverse: `22.11.11` (month padded to two digits, as DPDK writes it). */
export function versionOfNumber(packed: number): string {
  return `${packed >> 16}.${String((packed >> 8) & 0xff).padStart(2, '0')}.${packed & 0xff}`;
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

/**
 * Whether a removed vdev stays on its bus, unprobed: DPDK 26.07's hotplug removal only calls the
 * driver's remove and frees the device at bus cleanup (commit c9a337fe7a, "bus: align unplug
 * with device probe"). So removing it again answers -ENOENT ("Device is not probed") where
 * earlier releases, which freed it, answer -EINVAL ("Cannot find plugged device"). Seen in
 * fake-agreement.test.ts on the release matrix's 26.07 and main builds.
 */
export function removedVdevStaysOnBus(version: string): boolean {
  return atLeast(version, 26, 7);
}
