import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Check 6 writes one line per cycle as it ends into this file of the DUT's output folder. */
export const CYCLES_FILE = 'cycles.json';

export interface CycleRecord {
  attachMs: number;
  detachMs: number;
  resources: Record<string, number>;
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
