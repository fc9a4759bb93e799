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

function isModuleNotFound(e: unknown, specifier: string): boolean {
  const err = e as NodeJS.ErrnoException;
  // Only the command's own package missing counts; a missing module deeper down is a real bug.
  return (
    (err?.code === 'ERR_MODULE_NOT_FOUND' || err?.code === 'ERR_PACKAGE_PATH_NOT_EXPORTED') &&
    String(err.message).includes(specifier.split('/').slice(0, 2).join('/'))
  );
}

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
    if (!isModuleNotFound(e, command.specifier)) throw e;
    io.err(
      `dpdk-hotplug ${name}: needs ${command.packageName}, which is not installed here: npm install ${command.packageName}`,
    );
    return 2;
  }
  return entry(command.forward(rest));
}
