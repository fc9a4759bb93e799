import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { COMMANDS, type Command, type CommandEntry } from './commands.js';

export interface RunIo {
  out(text: string): void;
  err(text: string): void;
}

const consoleIo: RunIo = { out: (t) => console.log(t), err: (t) => console.error(t) };

export function usage(commands: readonly Command[] = COMMANDS): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'Usage: dpdk-hotplug <command> [options]     (dpdk-hotplug <command> --help for its options)',
    '',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    "Exit code: the command's own; 2 on bad usage or when the command's package is not installed.",
  ].join('\n');
}

const resolveFromCli = createRequire(import.meta.url);

/**
 * Where the command's package is installed, or undefined when it is not. Only a package that
 * does not resolve is "not installed": a package that resolves but whose module fails to load
 * (a file missing from its tarball, a dependency of its own missing) is broken, and says why.
 */
function installedAt(packageName: string): string | undefined {
  try {
    return dirname(resolveFromCli.resolve(`${packageName}/package.json`));
  } catch {
    return undefined;
  }
}

const isBare = (command: Command) =>
  command.specifier === command.packageName || command.specifier.startsWith(`${command.packageName}/`);

/** Whether loading failed because `packageName` itself could not be found. */
const missingPackage = (e: unknown, packageName: string) =>
  (e as { code?: string }).code === 'ERR_MODULE_NOT_FOUND' &&
  String((e as Error).message).includes(`'${packageName}`) &&
  installedAt(packageName) === undefined;

async function load(command: Command): Promise<CommandEntry> {
  // A variable specifier on purpose: packages are optional at run time, see commands.ts.
  const mod: Record<string, unknown> = await import(command.specifier);
  const entry = mod[command.entry ?? 'main'];
  if (typeof entry !== 'function')
    throw new Error(`${command.specifier} does not export a function ${command.entry ?? 'main'}`);
  return entry as CommandEntry;
}

/** Runs `dpdk-hotplug <argv>` and returns the exit code. */
export async function run(
  argv: string[],
  commands: readonly Command[] = COMMANDS,
  io: RunIo = consoleIo,
): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    io.out(usage(commands));
    return name === undefined ? 2 : 0;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    io.err(`dpdk-hotplug: unknown command ${JSON.stringify(name)}\n\n${usage(commands)}`);
    return 2;
  }
  let entry: CommandEntry;
  try {
    entry = await load(command);
  } catch (e) {
    // A command whose module is the dispatcher's own (doctor) needs its package all the same.
    if (!isBare(command) && !missingPackage(e, command.packageName)) throw e;
    const dir = installedAt(command.packageName);
    if (dir !== undefined)
      throw new Error(
        `dpdk-hotplug ${name}: ${command.packageName} is installed (${dir}) but ${command.specifier} could not be loaded: ${(e as Error).message}`,
        { cause: e },
      );
    io.err(
      `dpdk-hotplug ${name}: needs ${command.packageName}, which is not installed here: npm install ${command.packageName}`,
    );
    return 2;
  }
  return entry(command.forward(rest));
}
