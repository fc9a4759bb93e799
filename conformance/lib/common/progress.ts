import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/** Record width: a fixed size, rewritten in place, so the last write is always whole. */
const WIDTH = 240;

/**
 * Where the worker is now: the check, the step and the cycle, rewritten in place before each
 * step (one pwrite, a few microseconds). When a PMD kills the worker, the file still names the
 * step it died in; the reporter reads it.
 */
export class Progress {
  readonly #fd: number;
  #check = '';
  constructor(path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.#fd = openSync(path, 'w');
  }

  check(title: string): void {
    this.#check = title;
    this.step('set-up');
  }

  step(step: string, cycle?: number): void {
    const record = JSON.stringify({
      check: this.#check.slice(0, 120),
      step,
      ...(cycle === undefined ? {} : { cycle }),
    });
    writeSync(this.#fd, record.padEnd(WIDTH).slice(0, WIDTH), 0);
  }

  close(): void {
    closeSync(this.#fd);
  }
}

export interface ProgressRecord {
  check: string;
  step: string;
  cycle?: number;
}

export function readProgress(path: string): ProgressRecord | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8').trim()) as ProgressRecord;
  } catch {
    return undefined;
  }
}

/** `check 6, cycle 35, step "detach"`: where a crash or hang happened. */
export function describeProgress(p: ProgressRecord | undefined): string | undefined {
  if (!p) return undefined;
  const id = /^(\d+)\./.exec(p.check)?.[1];
  return `${id ? `check ${id}` : p.check}${p.cycle === undefined ? '' : `, cycle ${p.cycle}`}, step "${p.step}"`;
}
