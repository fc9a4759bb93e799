/**
 * @dpdk-hotplug/args: the argument rules every `dpdk-hotplug` command shares, so that `certify`,
 * `bind`, `hugepages`, `probe` and `lab` refuse the same mistakes with the same kind of message
 * and the same exit code (2). No dependencies: any package may use it, the kernel helpers too.
 */
import { lstatSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, parse, resolve } from 'node:path';
import { type ParseArgsConfig, parseArgs } from 'node:util';

/** Exit codes of every command: success, a failed operation or negative verdict, bad usage. */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** A mistake on the command line. Every command prints its message (one line) and exits 2. */
export class UsageError extends Error {
  override name = 'UsageError';
  readonly code = 'USAGE';
  readonly exitCode = EXIT_USAGE;
}

export function isUsageError(e: unknown): e is UsageError {
  return e instanceof UsageError;
}

type Options = NonNullable<ParseArgsConfig['options']>;
type Parsed<O extends Options> = ReturnType<
  typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>
>;

const looksNegative = (token: string | undefined) => token !== undefined && /^-[\d.]/.test(token);

/**
 * `parseArgs` (strict, positionals allowed) with its errors turned into UsageErrors a person can
 * act on. A value that looks like a negative number (`--cycles -1`) is taken as the option's value
 * (parseArgs would call it "ambiguous"), so the option's own rule can say what range it wants.
 */
export function parseCommandLine<O extends Options>(argv: readonly string[], options: O): Parsed<O> {
  const byShort = new Map(
    Object.entries(options)
      .filter(([, o]) => o.short)
      .map(([name, o]) => [o.short, name]),
  );
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === '--') {
      args.push(...argv.slice(i));
      break;
    }
    const name = token.startsWith('--') ? token.slice(2) : /^-\w$/.test(token) ? byShort.get(token[1]!) : '';
    if (name && !token.includes('=') && options[name]?.type === 'string' && looksNegative(argv[i + 1])) {
      args.push(`--${name}=${argv[++i]}`);
    } else args.push(token);
  }
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true }) as Parsed<O>;
  } catch (e) {
    throw fromParseArgs(e, Object.keys(options));
  }
}

/** A parseArgs error as a UsageError (with the nearest known option for an unknown one). */
function fromParseArgs(e: unknown, known: string[]): unknown {
  const err = e as { code?: string; message?: string };
  if (!err.code?.startsWith('ERR_PARSE_ARGS')) return e;
  const message = String(err.message);
  const option = /'(-[^' ]+)/.exec(message)?.[1];
  if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && option) {
    const near = nearest(option.replace(/^-+/, ''), known);
    return new UsageError(
      `unknown option ${option}${near ? ` (did you mean --${near}?)` : ''}; to pass a value that starts with a dash, write --option=value`,
    );
  }
  if (/ambiguous/.test(message) && option)
    return new UsageError(
      `${option} needs a value; to give one that starts with a dash, write ${option}=<value>`,
    );
  if (/argument missing/.test(message) && option) return new UsageError(`${option} needs a value`);
  return new UsageError(message.split('\n')[0]!.replace(/\.$/, ''));
}

/** The known word closest to `word` (edit distance), if it is close enough to be a likely typo. */
export function nearest(word: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const k of known) {
    const d = editDistance(word.toLowerCase(), k.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++)
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length]!;
}

export interface IntegerRule {
  min: number;
  max: number;
  /** The value when the option is not given; without one, the option is required. */
  default?: number;
}

/**
 * A whole number written in decimal digits (`12`, not `1e3`, `0x10`, `12.0` or ` 12 `) within
 * [min, max]. `option` names it in the message (`--cycles`).
 */
export function integer(option: string, text: string | undefined, rule: IntegerRule): number {
  if (text === undefined) return required(option, rule.default);
  const range = `a whole number from ${rule.min} to ${rule.max}`;
  if (!/^-?\d+$/.test(text))
    throw new UsageError(`${option} must be ${range} in decimal digits, got ${quote(text)}`);
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < rule.min || n > rule.max)
    throw new UsageError(`${option} must be ${range}, got ${text}`);
  return n === 0 ? 0 : n; // not -0
}

const UNITS: Record<string, number> = { '': 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 };

export interface SizeRule {
  /** Bytes. */
  min: number;
  /** Bytes. */
  max: number;
  default?: number;
}

/**
 * A size in bytes written like `2M`, `1G`, `1.5G`, `2048K`, `2MiB` or `4096` (binary units, as
 * DPDK's tools read them), within [min, max] bytes.
 */
export function size(option: string, text: string | undefined, rule: SizeRule): number {
  if (text === undefined) return required(option, rule.default);
  const m = /^(\d+(?:\.\d+)?)([KMGT]?)(?:i?B)?$/i.exec(text);
  const range = `from ${formatSize(rule.min)} to ${formatSize(rule.max)}`;
  if (!m) throw new UsageError(`${option} must be a size like 2M or 1G (${range}), got ${quote(text)}`);
  const bytes = Math.round(Number(m[1]) * UNITS[m[2]!.toUpperCase()]!);
  if (!Number.isSafeInteger(bytes) || bytes > rule.max)
    throw new UsageError(`${option} ${text} is too large: at most ${formatSize(rule.max)}`);
  if (bytes < rule.min)
    throw new UsageError(`${option} ${text} is too small: at least ${formatSize(rule.min)}`);
  return bytes;
}

/** `1073741824` → `1 GiB`, `3145728` → `3 MiB`, `1536` → `1.5 KiB`. */
export function formatSize(bytes: number): string {
  for (const [unit, factor] of [
    ['TiB', 2 ** 40],
    ['GiB', 2 ** 30],
    ['MiB', 2 ** 20],
    ['KiB', 2 ** 10],
  ] as const) {
    if (bytes >= factor) return `${Number((bytes / factor).toFixed(1))} ${unit}`;
  }
  return `${bytes} B`;
}

/** A string that is not empty (nor only spaces): `--only ''` is a mistake, not "everything". */
export function nonEmpty(option: string, text: string): string {
  if (text.trim() === '') throw new UsageError(`${option} must not be empty`);
  return text;
}

/** A value that matches `pattern`; `what` says in words what it must look like. */
export function matching(option: string, text: string, pattern: RegExp, what: string): string {
  if (!pattern.test(text)) throw new UsageError(`${option} must be ${what}, got ${quote(text)}`);
  return text;
}

/** One of `known`; a typo gets the nearest known value suggested. */
export function oneOf<T extends string>(option: string, text: string, known: readonly T[]): T {
  if ((known as readonly string[]).includes(text)) return text as T;
  const near = nearest(text, known);
  throw new UsageError(
    `${option}: unknown value ${quote(text)}${near ? ` (did you mean ${near}?)` : ''}; use one of ${known.join(', ')}`,
  );
}

/**
 * A comma-separated list (`a,b,c`) of names that must all be known. Empty items and an empty
 * list are mistakes; duplicates are kept once. The error names every unknown name and, for each
 * typo, the nearest known one.
 */
export function names<T extends string>(
  option: string,
  text: string,
  known: readonly T[],
  what = 'name',
): T[] {
  nonEmpty(option, text);
  const items = text.split(',');
  if (items.some((i) => i.trim() === ''))
    throw new UsageError(
      `${option} has an empty ${what} in ${quote(text)}: separate names with single commas`,
    );
  const unknown = items.filter((i) => !(known as readonly string[]).includes(i));
  if (unknown.length) {
    const described = unknown.map((u) => {
      const near = nearest(u, known);
      return near ? `${u} (did you mean ${near}?)` : u;
    });
    throw new UsageError(
      `${option}: no ${what} ${described.join(', ')}; known: ${known.join(', ') || 'none'}`,
    );
  }
  return [...new Set(items)] as T[];
}

const READ_ERRORS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a folder, not a file',
  ENOTDIR: 'a part of the path is not a folder',
  ELOOP: 'too many symbolic links',
};

/** The text of a file named on the command line; any failure is one line naming the file and why. */
export function readTextFile(option: string, path: string): string {
  nonEmpty(option, path);
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as { code?: string }).code ?? '';
    throw new UsageError(`${option} ${path}: cannot read it: ${READ_ERRORS[code] ?? (e as Error).message}`);
  }
}

/** A JSON file named on the command line; unreadable or invalid JSON is a UsageError naming it. */
export function readJsonFile(option: string, path: string): unknown {
  const text = readTextFile(option, path);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${option} ${path}: not valid JSON: ${(e as Error).message}`);
  }
}

/**
 * A folder named on the command line for a command's output: made if missing (with its parents),
 * refused in one line when it is the root, not a folder, or cannot be made. Returns it absolute.
 * Made one level at a time: Node's recursive mkdir loops for ever where the kernel answers ENOENT
 * for a folder whose parent exists (under /proc).
 */
export function outputFolder(option: string, path: string, cwd = process.cwd()): string {
  const dir = notRootFolder(option, path, cwd);
  try {
    makeFolders(dir);
    if (!statSync(dir).isDirectory()) throw new UsageError(`${option} ${dir} is not a folder`);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`${option} ${dir}: cannot use it: ${(e as Error).message}`);
  }
  return dir;
}

/**
 * A folder named on the command line, absolute, refused in one line when it is empty or the root
 * (`/`, `/tmp/..`): a command that writes or clears a folder must never be given the whole disk.
 */
export function notRootFolder(option: string, path: string, cwd = process.cwd()): string {
  const dir = resolve(cwd, nonEmpty(option, path));
  if (parse(dir).root === dir) throw new UsageError(`${option} ${dir}: refusing the root folder`);
  return dir;
}

/** A folder named on the command line that must exist (read from, not written): returned absolute. */
export function existingFolder(option: string, path: string, cwd = process.cwd()): string {
  const dir = resolve(cwd, nonEmpty(option, path));
  let folder = false;
  try {
    folder = statSync(dir).isDirectory();
  } catch {
    // missing or unreadable: not a folder this command can use
  }
  if (!folder) throw new UsageError(`${option} ${dir} is not a folder`);
  return dir;
}

/** `mkdir -p`, one level at a time; a folder made meanwhile by someone else is fine. */
export function makeFolders(dir: string): void {
  const exists = (p: string) => {
    try {
      lstatSync(p);
      return true;
    } catch {
      return false;
    }
  };
  if (exists(dir)) return;
  const parent = dirname(dir);
  if (parent !== dir) makeFolders(parent);
  try {
    mkdirSync(dir);
  } catch (e) {
    if ((e as { code?: string }).code !== 'EEXIST') throw e;
  }
}

/**
 * Prints a usage error the way every command does (`dpdk-hotplug <command>: <message>`, and
 * where to find the options; as `{"error": …}` for --json) and returns the exit code, 2.
 */
export function reportUsageError(
  command: string,
  e: UsageError,
  err: (line: string) => void,
  json = false,
): number {
  if (json) err(JSON.stringify({ error: { name: e.name, code: e.code, message: e.message } }));
  else err(`dpdk-hotplug ${command}: ${e.message}\n(dpdk-hotplug ${command} --help lists the options)`);
  return EXIT_USAGE;
}

/** Where a command prints: its results (`out`) and its errors and progress (`err`), one line a call. */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

/** The process's own standard output and error. */
export const consoleIo = (): CliIo => ({ out: console.log, err: console.error });

/**
 * A command's typed failures as an exit code (after printing them in one line), or undefined for
 * an error it does not know, which then propagates as the bug it is.
 */
export type FailureHandler = (e: unknown) => number | undefined;

/**
 * The shell every command's `main()` runs in: `body` parses and runs the command and resolves its
 * exit code; a UsageError it throws is printed by reportUsageError (one line, exit 2); any other
 * error goes to `failure` (the command's own typed errors) and, when it is not one, propagates.
 */
export async function runCommand(
  command: string,
  io: CliIo,
  json: boolean,
  body: () => number | Promise<number>,
  failure: FailureHandler = () => undefined,
): Promise<number> {
  try {
    return await body();
  } catch (e) {
    if (isUsageError(e)) return reportUsageError(command, e, io.err, json);
    const code = failure(e);
    if (code === undefined) throw e;
    return code;
  }
}

function required<T>(option: string, fallback: T | undefined): T {
  if (fallback === undefined) throw new UsageError(`${option} is required`);
  return fallback;
}

const quote = (text: string) => JSON.stringify(text);
