import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { COMMANDS, type Command } from './commands.js';
import { run } from './run.js';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) }, out, err };
}

const dir = mkdtempSync(join(tmpdir(), 'dphp-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function fakeCommand(name: string, source: string, over: Partial<Command> = {}): Command {
  const file = join(dir, `${name}.mjs`);
  writeFileSync(file, source);
  return {
    name,
    summary: `the ${name} command`,
    packageName: `@example/${name}`,
    specifier: pathToFileURL(file).href,
    forward: (rest) => rest,
    ...over,
  };
}

describe('dpdk-hotplug dispatcher', () => {
  it('lists every command under --help and exits 0; with no command it exits 2', async () => {
    const c = capture();
    expect(await run(['--help'], COMMANDS, c.io)).toBe(0);
    for (const cmd of COMMANDS) expect(c.out.join('\n')).toContain(`  ${cmd.name} `);
    expect(await run([], COMMANDS, capture().io)).toBe(2);
  });

  it('names an unknown command and exits 2', async () => {
    const c = capture();
    expect(await run(['atach', '0000:01:00.0'], COMMANDS, c.io)).toBe(2);
    expect(c.err.join('\n')).toContain('unknown command "atach"');
  });

  it("routes the words after the command to the package's entry and returns its exit code", async () => {
    const echo = fakeCommand(
      'echo',
      'export async function main(argv) { globalThis.seen = argv; return 7; }',
      { forward: (rest) => ['echo', ...rest] },
    );
    expect(await run(['echo', 'a', '--b'], [echo], capture().io)).toBe(7);
    expect((globalThis as { seen?: string[] }).seen).toEqual(['echo', 'a', '--b']);
  });

  it('says which package to install when the command is not installed', async () => {
    const c = capture();
    const missing: Command = {
      name: 'probe',
      summary: '',
      packageName: '@dpdk-hotplug/not-installed',
      specifier: '@dpdk-hotplug/not-installed/cli',
      forward: (r) => r,
    };
    expect(await run(['probe'], [missing], c.io)).toBe(2);
    expect(c.err.join('\n')).toContain('npm install @dpdk-hotplug/not-installed');
  });

  it("names the package a command of the dispatcher's own needs when it is not installed", async () => {
    // As doctor: its module is here, the diagnosis it imports is another package's.
    const c = capture();
    const own = fakeCommand(
      'own',
      "import '@dpdk-hotplug/not-installed/doctor';\nexport async function main() { return 0; }",
      { packageName: '@dpdk-hotplug/not-installed' },
    );
    expect(await run(['own'], [own], c.io)).toBe(2);
    expect(c.err.join('\n')).toContain('needs @dpdk-hotplug/not-installed, which is not installed here');
  });

  it('does not hide a broken module behind "not installed"', async () => {
    const broken = fakeCommand(
      'broken',
      "import './no-such-file.mjs';\nexport async function main() { return 0; }",
    );
    await expect(run(['broken'], [broken], capture().io)).rejects.toThrow(/no-such-file/);
    const noMain = fakeCommand('nomain', 'export const x = 1;');
    await expect(run(['nomain'], [noMain], capture().io)).rejects.toThrow(/does not export a function main/);
  });

  it('says an installed package that fails to load is installed, with the real error', async () => {
    // @dpdk-hotplug/args is installed (a workspace dependency); this entry of it does not exist,
    // as conformance's dist/index.js did not in a tarball packed without dist/.
    const c = capture();
    const broken: Command = {
      name: 'certify',
      summary: '',
      packageName: '@dpdk-hotplug/args',
      specifier: '@dpdk-hotplug/args/no-such-entry',
      forward: (r) => r,
    };
    const failure = run(['certify'], [broken], c.io);
    await expect(failure).rejects.toThrow(
      /dpdk-hotplug certify: @dpdk-hotplug\/args is installed \(.*args\) but @dpdk-hotplug\/args\/no-such-entry could not be loaded: .*no-such-entry/,
    );
    await expect(failure).rejects.not.toThrow(/not installed/);
    expect(c.err).toEqual([]);
  });

  it('runs `dpdk-hotplug certify --help` through the installed bin', () => {
    const bin = fileURLToPath(new URL('../../dpdk-hotplug/bin/dpdk-hotplug.mjs', import.meta.url));
    const r = spawnSync(process.execPath, [bin, 'certify', '--help'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('Usage: dpdk-hotplug certify');
  });

  /**
   * Steps: one bad argument for every command, through the installed bin, as a user types it.
   * Verify: exit 2, `dpdk-hotplug <command>: <what is wrong>` on stderr, no stack trace, and the
   * same shape of message whichever package implements the command. None of these gets as far
   * as touching the machine: each is refused while the arguments are read.
   */
  it('every command refuses bad usage the same way: exit 2, one line, no stack trace', () => {
    const bin = fileURLToPath(new URL('../../dpdk-hotplug/bin/dpdk-hotplug.mjs', import.meta.url));
    const cases: Array<[string[], string]> = [
      [['certify', '--cycles', '1e12'], '--cycles must be a whole number from 1 to 1000000'],
      [['certify', '--only', ''], '--only must not be empty'],
      [['certify', '--inventory', '/nonexistent'], '--inventory /nonexistent: cannot read it: no such file'],
      [
        ['probe', 'runtime', 'net_null0', '--cycles', '-1'],
        '--cycles must be a whole number from 1 to 10000',
      ],
      [['devices', '--class', 'nte'], '--class: unknown value "nte" (did you mean net?)'],
      [['bind', '0000:01:00.0', '--driver', 'vfio-pci/../../x'], '--driver must be a driver or module name'],
      [['unbind', '0000:01:00.0', '--cycles', '3'], 'unknown option --cycles'],
      [['restore', '0000:01:00.0', '--force'], 'restore does not take --force'],
      [['kernel', 'vfio-pci/../../x'], 'driver must be a driver or module name'],
      [['hugepages', '--reserve', '99999999999999999999T'], '--reserve 99999999999999999999T is more than'],
      [
        ['pci', 'wait', '0000:01:00.0', 'present', '--timeout-ms', '0x10'],
        '--timeout-ms must be a whole number',
      ],
      [['lab', 'virtual', '--cycles', '1e3'], '--cycles must be a whole number from 1 to 1000'],
      [['doctor', '--dpdkk', '/usr'], 'unknown option --dpdkk (did you mean --dpdk?)'],
      [['doctor', '--dpdk', ''], '--dpdk must not be empty'],
    ];
    for (const [args, message] of cases) {
      const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: dir, timeout: 30_000 });
      expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`^dpdk-hotplug ${args[0]}: `));
      expect(r.stderr).toContain(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });
});
