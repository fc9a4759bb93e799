import type { Expectation } from '@dpdk-hotplug/conformance/reports';

/**
 * What a lab run folder holds besides certify's report (in `certify/`): which runner ran, on
 * which machine, and which DUTs it was to certify, so that `lab merge` can name the DUTs an
 * interrupted runner did not reach. Kept apart from `lab run` itself, so that `lab merge`
 * reads it without loading the SDK (a merge machine has no DPDK).
 */
export interface RunnerRecord {
  tool: 'dpdk-hotplug lab run';
  inventory: string;
  runner: string;
  shard?: string;
  machine: { hostname: string; kernel: string; dpdk: string };
  /** The DUTs this runner (and shard) was to certify, by name. */
  duts: string[];
  /**
   * Each DUT's own known findings (its inventory `expectations` file), as read on the runner:
   * `lab merge` applies them without the runner's file paths.
   */
  expectations?: Record<string, Expectation[]>;
  /**
   * The run's own `--expect` (FILE or auto) and the findings it read there: `lab merge` without
   * `--expect` applies them to this runner's DUTs (the file need not exist where it merges).
   */
  expect?: { given: string; files: string[]; list: Expectation[] };
  startedAt: string;
  /** Unset while the run goes on, or when it was killed. */
  finishedAt?: string;
  exitCode?: number;
  /**
   * A folder combined from attempts (runner/attempts.ts: a guest that stalled, then a fresh one):
   * each attempt, its folder and why it ended. `exitCode` is then unset (each was about its DUTs).
   */
  attempts?: RunnerAttempt[];
}

/** How a guest's run ended (virtual/runners.ts). */
export type GuestEnd = 'finished' | 'stalled' | 'crashed' | 'timed out' | 'interrupted' | 'failed';

/** Where a run stopped (runner/stopped.ts): the DUT it was in, what of it ended, what was not reached. */
export interface InFlight {
  dut: string;
  /** The last of its checks to end, in run order (the one after it was running, or about to). */
  after?: number;
  /** "101 PASS", …, in run order. */
  ended: string[];
  /** Its planned checks without a result, in run order (unset in older records). */
  notReached?: number[];
}

/** One attempt of a runner's DUTs (runner/attempts.ts). */
export interface RunnerAttempt {
  number: number;
  /** Its own lab run folder, relative to the combined one (attempts/N). */
  folder: string;
  /** The DUTs it was to certify. */
  duts: string[];
  end: GuestEnd;
  /** Why it ended, when not finished (the stall's reason, QEMU's end). */
  why?: string;
  /** Where it stopped, when it did not finish. */
  inFlight?: InFlight;
  /** The FAILs its guest's stall brought (runner/attempts.ts): not held against their DUTs, run again. */
  insideStall?: StalledCheck[];
}

/** A check that ended by a time limit after its guest's last sign of life (runner/attempts.ts). */
export interface StalledCheck {
  dut: string;
  check: number;
  /** Its result's reason: "timed out after 120186 ms at check 112, step \"teardown\"". */
  reason: string;
}

export const RUNNER_RECORD = 'runner.json';
export const CERTIFY_FOLDER = 'certify';
