/**
 * The one catalogue of certification checks: vdev and PCI, their titles and their classes. The
 * Playwright spec, the virtual lab, the verdict rule and the reports all read it from here.
 *
 * - `required`: the hotplug contract (the seed's attach/detach promises and what follows from
 *   them: cycles, leaks, refusals, multi-process). A PMD fails certification on these alone.
 * - `advisory`: robustness beyond the contract (unknown arguments, errno hygiene): findings that
 *   give CERTIFIED WITH WARNINGS, never FAILED.
 * - `reported`: measurements (latency), never judged.
 */
export type CheckClass = 'required' | 'advisory' | 'reported';

export interface CheckSpec {
  readonly title: string;
  readonly class: CheckClass;
  /** Runs on the worker's EAL with the DUT detached at its start (not in processes of its own). */
  readonly inWorker?: boolean;
  /** Its contract includes a successful detach: a DUT that cannot detach fails it. */
  readonly detaches?: boolean;
}

const required = (title: string, more: Partial<CheckSpec> = {}): CheckSpec => ({
  title,
  class: 'required',
  ...more,
});
const W = { inWorker: true };
const WD = { inWorker: true, detaches: true };

export const VDEV_CHECKS = {
  1: required('attach returns a valid port id; dev info readable; the attach event arrives once', W),
  2: required('traffic after attach: configure, start, packets sent and received', W),
  3: required('detaching a started port is refused and the port keeps forwarding', W),
  4: required(
    'stop → close → detach returns the device name; no port of the device is left; the detach event arrives once',
    WD,
  ),
  5: required('re-attach the same device: succeeds, gets the lowest free id, traffic works again', WD),
  6: required('repeated cycles: every cycle passes 1–5 in short form', WD),
  7: required('leak accounting over the cycles: no steady per-cycle growth of any resource'),
  8: required('double attach refused; the first port keeps working', W),
  9: required('double detach refused', WD),
  10: {
    title: 'failed attach (bad PMD arguments) leaves nothing behind and a later good attach works',
    class: 'advisory',
    ...W,
  },
  11: { title: 'only 0 or a negative errno from DPDK', class: 'advisory', ...WD },
  12: required('port ids may have holes: iteration and counts stay right after detaching a middle port', WD),
  13: required('a port probed at EAL start (--vdev) detaches the same way', { detaches: true }),
  14: required(
    'multi-process: attach in the primary appears in a secondary, detach disappears, attach from a secondary reaches all',
    { detaches: true },
  ),
  15: { title: 'latency: attach and detach p50/p99/max', class: 'reported' },
  // Advisory: it judges two tools' agreement, not the contract (checks 1–5 judge that); a
  // difference may be the SDK's (fault suite) as well as the PMD's or testpmd's.
  16: {
    title:
      'testpmd agrees: checks 1–5 through dpdk-testpmd give the same ids, name, driver, refusals and re-attach',
    class: 'advisory',
    ...W,
  },
  // Advisory, as 16: it judges whether testpmd agrees with check 14 (which judges the contract),
  // and testpmd's scenario differs from 14's in its last step (its primary cannot detach a port
  // the secondary attached), so a disagreement can be testpmd's, the PMD's or the suite's.
  17: {
    title:
      "testpmd agrees in multi-process: check 14's scenario through a primary and a secondary dpdk-testpmd ends as check 14 did",
    class: 'advisory',
  },
} as const satisfies Record<number, CheckSpec>;

/** Checks of a PCI device a lab can hot-plug, numbered after the vdev checks. */
export const PCI_CHECK_SPECS = {
  101: required('plug: the hot-plugged NIC appears, bound to its kernel driver'),
  102: required('bind: the device moves to the userspace driver, its kernel interface goes'),
  103: required('attach: a valid port, driven by the expected PMD'),
  104: required('traffic: frames sent by the port reach the peer NIC on the hub'),
  105: required('detaching a started port is refused and the port keeps working'),
  106: required('stop → close → detach returns the PCI address; the port is gone'),
  107: required('repeated attach/detach cycles'),
  108: required('restore: the kernel driver and its interface come back'),
  109: required('unplug: the device leaves the guest and QEMU'),
  110: required(
    'surprise removal: removal event, detach without hang or crash, device gone, another port of the process unharmed',
  ),
  111: required('re-plug and attach again'),
  // Advisory, as check 16: two tools' agreement, not the contract (103–106 judge that).
  112: {
    title:
      'testpmd agrees: the PCI address through dpdk-testpmd gives the same ids, name, driver, refusals and re-attach',
    class: 'advisory',
  },
} as const satisfies Record<number, CheckSpec>;

export type VdevCheckId = keyof typeof VDEV_CHECKS;
export type PciCheckId = keyof typeof PCI_CHECK_SPECS;
export type CheckId = VdevCheckId | PciCheckId;

const ALL: Readonly<Record<number, CheckSpec>> = { ...VDEV_CHECKS, ...PCI_CHECK_SPECS };

/** The spec of a check id; throws on an id the catalogue does not have. */
export function checkSpec(id: number): CheckSpec {
  const spec = ALL[id];
  if (!spec) throw new Error(`no check ${id} in the catalogue`);
  return spec;
}

/** The class of a check; an id the catalogue does not know counts as required (the strict side). */
export function classOf(id: number): CheckClass {
  return ALL[id]?.class ?? 'required';
}

/** The test title of a check: `7. leak accounting …`. Reports find the id again from it. */
export function checkTitle(id: CheckId): string {
  return `${id}. ${checkSpec(id).title}`;
}

/** The id in a test title, or 0. */
export function idOfTitle(title: string): number {
  return Number(/^(\d+)\./.exec(title)?.[1] ?? 0);
}
