/** The run's settings, and their defaults: one home for the command line, the config and the fixtures. */
export interface Settings {
  /** Cycles of the repeated-cycles check (the DUT's own `cycles` caps it unless `forceCycles`). */
  cycles: number;
  /** Upper bound of that check's time, per DUT. */
  budgetMs: number;
  forceCycles: boolean;
}

export const DEFAULT_SETTINGS: Readonly<Settings> = { cycles: 1000, budgetMs: 10_000, forceCycles: false };

/** Cycles of the repeated-cycles check for a DUT: the run's, capped by the DUT's own unless forced. */
export function cyclesFor(settings: Settings, dutCycles: number | undefined): number {
  return settings.forceCycles ? settings.cycles : Math.min(settings.cycles, dutCycles ?? settings.cycles);
}
