import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { main } from '../cli.js';

/** The `dpdk-hotplug` command as the unscoped package ships it (this checkout's). */
export const DPDK_HOTPLUG_BIN = join(
  import.meta.dirname,
  '..',
  '..',
  '..',
  'packages',
  'dpdk-hotplug',
  'bin',
  'dpdk-hotplug.mjs',
);

/** Runs `dpdk-hotplug lab` with `args` as a test would type it: its exit code and what it said. */
export async function runCli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/**
 * `dpdk-hotplug lab ARGS` in a process of its own (each certify runs its own Playwright), with
 * `env` added to this process's: its exit code and what it printed (stdout and stderr).
 */
export function labProcess(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; out: string }> {
  const script = `import('@dpdk-hotplug/hil/cli').then((m) => m.main(process.argv.slice(1))).then((c) => process.exit(c));`;
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, ...args], {
      cwd: import.meta.dirname,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      out += d;
    });
    child.on('exit', (code) => done({ code: code ?? 1, out }));
  });
}
