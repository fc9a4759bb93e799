import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { detectionFloor } from '@dpdk-hotplug/ethdev';

/** Check 6 writes one line per cycle as it ends into this file of the DUT's output folder. */
export const CYCLES_FILE = 'cycles.json';

export interface CycleRecord {
  attachMs: number;
  detachMs: number;
  resources: Record<string, number>;
  /** False when the port was not configured and started this cycle (its start failed before). */
  started?: boolean;
}

/** Check 6's start that failed: the cycles from then on are attach/close/detach. */
export interface StartFailure {
  cycle: number;
  error: string;
}

/** Check 6's attach that failed after a detach, and what the first detach left behind. */
export interface ReattachFailure {
  cycle: number;
  error: string;
  /** `describeHeld` of what the first detach left behind, or undefined when it left nothing. */
  leftBehind?: string;
}

export interface Cycles {
  planned: number;
  records: CycleRecord[];
  startFailed?: StartFailure;
  reattachFailed?: ReattachFailure;
}

/** The line of `cycles.json` that records a failed start or re-attach (beside the cycles). */
export const startFailedLine = (f: StartFailure) => `${JSON.stringify({ startFailed: f })}\n`;
export const reattachFailedLine = (f: ReattachFailure) => `${JSON.stringify({ reattachFailed: f })}\n`;

/**
 * Check 6's side of the hand-off: the cycles file in `dir`, its head (`planned`) written now and
 * one line per cycle as it ends, so a crash or a hang keeps the cycles that ran (readCycles).
 */
export class CycleLog {
  readonly #fd: number;
  /** The file, so the check can tell its own descriptor from what a detach left open. */
  readonly path: string;

  constructor(dir: string, planned: number) {
    this.path = join(dir, CYCLES_FILE);
    this.#fd = openSync(this.path, 'w');
    writeSync(this.#fd, `${JSON.stringify({ planned })}\n`);
  }

  add(record: CycleRecord): void {
    writeSync(this.#fd, `${JSON.stringify(record)}\n`);
  }

  /** The start that failed: the cycles from then on are attach/close/detach. */
  startFailed(f: StartFailure): void {
    writeSync(this.#fd, startFailedLine(f));
  }

  /** The re-attach that failed, with what the first detach left behind. */
  reattachFailed(f: ReattachFailure): void {
    writeSync(this.#fd, reattachFailedLine(f));
  }

  close(): void {
    closeSync(this.#fd);
  }
}

/** The cycles check 6 recorded in `dir`, also those before a crash (a torn last line is left out). */
export function readCycles(dir: string): Cycles | undefined {
  let lines: string[];
  try {
    lines = readFileSync(join(dir, CYCLES_FILE), 'utf8').split('\n');
  } catch {
    return undefined;
  }
  const parsed = lines.flatMap((l) => {
    try {
      return l ? [JSON.parse(l)] : [];
    } catch {
      return [];
    }
  });
  const head = parsed.shift() as { planned?: number } | undefined;
  if (head?.planned === undefined) return undefined;
  const cycles: Cycles = { planned: head.planned, records: [] };
  for (const line of parsed) {
    if (line.startFailed) cycles.startFailed = line.startFailed;
    else if (line.reattachFailed) cycles.reattachFailed = line.reattachFailed;
    else cycles.records.push(line as CycleRecord);
  }
  return cycles;
}

/**
 * What a leak accounting over `cycles` could see, for the report (checks 7 and 107): a PASS over
 * few cycles (a short budget, a slow PMD, a smoke run) says how coarse it was, or that there was
 * no accounting at all.
 */
export function sensitivity(cycles: number): string {
  const floor = detectionFloor(cycles);
  if (!floor) return `${cycles} cycle(s): too few for the leak accounting, which needs 6`;
  return `over ${cycles} cycles, the smallest steady growth called a leak: ${Math.ceil(floor.dpdkHeapBytes!)} B of DPDK heap, ${+floor.fds!.toFixed(2)} fd per cycle (more cycles see less)`;
}
