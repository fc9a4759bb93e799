import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { detectionFloor } from '@dpdk-hotplug/ethdev';

/** Check 6 writes one line per cycle as it ends into this file of the DUT's output folder. */
export const CYCLES_FILE = 'cycles.json';

export interface CycleRecord {
  attachMs: number;
  detachMs: number;
  resources: Record<string, number>;
}

/**
 * Check 6's side of the hand-off: the cycles file in `dir`, its head (`planned`) written now and
 * one line per cycle as it ends, so a crash or a hang keeps the cycles that ran (readCycles).
 */
export class CycleLog {
  readonly #fd: number;

  constructor(dir: string, planned: number) {
    this.#fd = openSync(join(dir, CYCLES_FILE), 'w');
    writeSync(this.#fd, `${JSON.stringify({ planned })}\n`);
  }

  add(record: CycleRecord): void {
    writeSync(this.#fd, `${JSON.stringify(record)}\n`);
  }

  close(): void {
    closeSync(this.#fd);
  }
}

/** The cycles check 6 recorded in `dir`, also those before a crash (a torn last line is left out). */
export function readCycles(dir: string): { planned: number; records: CycleRecord[] } | undefined {
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
  return { planned: head.planned, records: parsed as CycleRecord[] };
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
