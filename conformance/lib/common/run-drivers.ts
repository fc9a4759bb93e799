/**
 * The out-of-tree PMDs every EAL of a certification loads (`certify --driver`): the parent checks
 * them (oot-drivers.ts) and passes them down the run's processes in DRIVERS_ENV. No imports, so
 * the suite's small child processes stay small.
 */

/** The out-of-tree PMD files of a run, `:`-separated, inherited by every process of it. */
export const DRIVERS_ENV = 'DPDK_HOTPLUG_CERTIFY_DRIVERS';

/** The out-of-tree PMDs every EAL of this run loads (DRIVERS_ENV), checked by the parent. */
export function runDrivers(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env[DRIVERS_ENV] ?? '').split(':').filter(Boolean);
}

/** `-d` options for a DPDK application (testpmd) of this run. */
export function driverArgs(env: NodeJS.ProcessEnv = process.env): string[] {
  return runDrivers(env).flatMap((f) => ['-d', f]);
}
