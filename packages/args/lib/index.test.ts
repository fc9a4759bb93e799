import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  existingFolder,
  formatSize,
  integer,
  matching,
  names,
  nearest,
  nonEmpty,
  notRootFolder,
  oneOf,
  outputFolder,
  parseCommandLine,
  readJsonFile,
  readTextFile,
  reportUsageError,
  runCommand,
  size,
  UsageError,
} from './index.js';

const work = mkdtempSync(join(tmpdir(), 'dphp-args-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const CYCLES = { min: 1, max: 1_000_000, default: 1000 };

describe('integer', () => {
  it('takes decimal digits within the range, and the default when not given', () => {
    expect(integer('--cycles', '20', CYCLES)).toBe(20);
    expect(integer('--cycles', '1000000', CYCLES)).toBe(1_000_000);
    expect(integer('--cycles', undefined, CYCLES)).toBe(1000);
    expect(Object.is(integer('--node', '-0', { min: 0, max: 3 }), 0)).toBe(true);
    expect(() => integer('--node', undefined, { min: 0, max: 1 })).toThrow('--node is required');
  });

  it.each([
    ['1e12', /--cycles must be a whole number from 1 to 1000000 in decimal digits, got "1e12"/],
    ['1e3', /in decimal digits, got "1e3"/],
    ['0x10', /got "0x10"/],
    [' 7 ', /got " 7 "/],
    ['7.0', /got "7.0"/],
    ['', /got ""/],
    ['0', /must be a whole number from 1 to 1000000, got 0$/],
    ['-1', /from 1 to 1000000, got -1$/],
    ['1000001', /got 1000001$/],
    ['99999999999999999999', /got 99999999999999999999$/],
  ])('refuses %j', (text, message) => {
    expect(() => integer('--cycles', text, CYCLES)).toThrow(UsageError);
    expect(() => integer('--cycles', text, CYCLES)).toThrow(message);
  });
});

describe('size', () => {
  const RULE = { min: 2 ** 20, max: 2 ** 40 };
  it('reads binary units like DPDK tools do', () => {
    expect(size('--reserve', '2M', RULE)).toBe(2 * 2 ** 20);
    expect(size('--reserve', '1G', RULE)).toBe(2 ** 30);
    expect(size('--reserve', '1.5g', RULE)).toBe(1.5 * 2 ** 30);
    expect(size('--reserve', '2048K', RULE)).toBe(2 ** 21);
    expect(size('--reserve', '2MiB', RULE)).toBe(2 ** 21);
    expect(size('--reserve', '1048576', RULE)).toBe(2 ** 20);
  });

  it('refuses what is not a size, or out of bounds, with the bounds', () => {
    expect(() => size('--reserve', 'lots', RULE)).toThrow(
      '--reserve must be a size like 2M or 1G (from 1 MiB to 1 TiB), got "lots"',
    );
    expect(() => size('--reserve', ' 2M', RULE)).toThrow(UsageError);
    expect(() => size('--reserve', '-2M', RULE)).toThrow(UsageError);
    expect(() => size('--reserve', '2T', RULE)).toThrow('--reserve 2T is too large: at most 1 TiB');
    expect(() => size('--reserve', '99999999999999999999T', RULE)).toThrow('is too large');
    expect(() => size('--reserve', '4K', RULE)).toThrow('--reserve 4K is too small: at least 1 MiB');
  });

  it('formats sizes', () => {
    expect(formatSize(2 ** 30)).toBe('1 GiB');
    expect(formatSize(1.5 * 2 ** 20)).toBe('1.5 MiB');
    expect(formatSize(100)).toBe('100 B');
  });
});

describe('strings and names', () => {
  it('refuses empty strings', () => {
    expect(nonEmpty('--out', 'x')).toBe('x');
    expect(() => nonEmpty('--only', '')).toThrow('--only must not be empty');
    expect(() => nonEmpty('--only', '  ')).toThrow(UsageError);
  });

  it('takes comma lists of known names, naming each unknown one with the nearest known', () => {
    const known = ['net_null', 'net_ring', 'net_tap'];
    expect(names('--only', 'net_tap,net_null,net_tap', known, 'DUT named')).toEqual(['net_tap', 'net_null']);
    expect(() => names('--only', 'net_nul,foo', known, 'DUT named')).toThrow(
      '--only: no DUT named net_nul (did you mean net_null?), foo; known: net_null, net_ring, net_tap',
    );
    expect(() => names('--only', '', known)).toThrow('--only must not be empty');
    expect(() => names('--only', 'net_null,,net_tap', known)).toThrow('has an empty name');
    expect(() => names('--only', 'net_null,', known)).toThrow('has an empty name');
  });

  it('suggests only close words', () => {
    expect(nearest('vfio_pci', ['vfio-pci', 'igb_uio'])).toBe('vfio-pci');
    expect(nearest('nvme', ['vfio-pci', 'igb_uio'])).toBeUndefined();
  });

  it('matches patterns and choices', () => {
    expect(matching('--driver', 'vfio-pci', /^[a-z-]+$/, 'a driver name')).toBe('vfio-pci');
    expect(() => matching('--driver', 'vfio-pci/../../x', /^[a-z-]+$/, 'a driver name')).toThrow(
      '--driver must be a driver name, got "vfio-pci/../../x"',
    );
    expect(oneOf('state', 'present', ['present', 'absent'])).toBe('present');
    expect(() => oneOf('state', 'presnt', ['present', 'absent'])).toThrow(
      'state: unknown value "presnt" (did you mean present?); use one of present, absent',
    );
  });
});

describe('files named on the command line', () => {
  it('reads them, and says in one line which file and why it cannot', () => {
    const good = join(work, 'good.json');
    writeFileSync(good, '{"runners": []}');
    expect(readJsonFile('--inventory', good)).toEqual({ runners: [] });
    expect(readTextFile('--inventory', good)).toContain('runners');
    expect(() => readJsonFile('--inventory', '/nonexistent')).toThrow(
      '--inventory /nonexistent: cannot read it: no such file',
    );
    expect(() => readJsonFile('--inventory', work)).toThrow(
      `--inventory ${work}: cannot read it: it is a folder`,
    );
    const bad = join(work, 'bad.json');
    writeFileSync(bad, '{"runners": [');
    expect(() => readJsonFile('--inventory', bad)).toThrow(
      new RegExp(`--inventory ${bad}: not valid JSON: `),
    );
    expect(() => readJsonFile('--inventory', '')).toThrow('--inventory must not be empty');
  });
});

describe('output folders', () => {
  it('makes them, and refuses the root, files and what cannot be made, in one line', () => {
    expect(outputFolder('--out', 'a/b', work)).toBe(join(work, 'a/b'));
    expect(readTextFile('--x', join(work, 'good.json'))).toBeDefined();
    expect(() => outputFolder('--out', '/')).toThrow('--out /: refusing the root folder');
    expect(() => outputFolder('--out', '')).toThrow('--out must not be empty');
    expect(() => outputFolder('--out', join(work, 'good.json'))).toThrow('is not a folder');
    expect(() => outputFolder('--out', '/proc/dphp-no-such/x')).toThrow(
      '--out /proc/dphp-no-such/x: cannot use it: ENOENT',
    );
  });
});

describe('existingFolder', () => {
  it('returns an existing folder absolute; a missing one or a file is one line', () => {
    expect(existingFolder('--sysfs', 'sys', '/')).toBe('/sys');
    expect(() => existingFolder('--sysfs', '/nonexistent-dphp')).toThrow(
      '--sysfs /nonexistent-dphp is not a folder',
    );
    expect(() => existingFolder('--sysfs', '/etc/hostname')).toThrow('--sysfs /etc/hostname is not a folder');
    expect(() => existingFolder('--sysfs', '')).toThrow(UsageError);
  });
});

describe('notRootFolder', () => {
  it('gives the folder absolute and refuses the root however it is spelled', () => {
    expect(notRootFolder('--cache', 'c', work)).toBe(join(work, 'c'));
    expect(() => notRootFolder('--cache', '/')).toThrow('--cache /: refusing the root folder');
    expect(() => notRootFolder('--out', '..', '/tmp')).toThrow('--out /: refusing the root folder');
    expect(() => notRootFolder('--out', ' ')).toThrow('--out must not be empty');
  });
});

describe('runCommand', () => {
  const captured = () => {
    const lines = { out: [] as string[], err: [] as string[] };
    return { lines, io: { out: (l: string) => lines.out.push(l), err: (l: string) => lines.err.push(l) } };
  };
  class Refused extends Error {}

  it("resolves the body's exit code and prints nothing of its own", async () => {
    const { lines, io } = captured();
    expect(await runCommand('x', io, false, async () => 3)).toBe(3);
    expect(lines).toEqual({ out: [], err: [] });
  });

  it('prints a usage error as one line (JSON with --json) and exits 2', async () => {
    const { lines, io } = captured();
    const refuse = () => {
      throw new UsageError('--n must be 1');
    };
    expect(await runCommand('lab', io, false, refuse)).toBe(2);
    expect(lines.err[0]).toMatch(/^dpdk-hotplug lab: --n must be 1\n/);
    expect(await runCommand('lab', io, true, refuse)).toBe(2);
    expect(JSON.parse(lines.err[1]!).error.message).toBe('--n must be 1');
  });

  it("hands other errors to the command's failure handler, and lets unknown ones propagate", async () => {
    const { io } = captured();
    const failure = (e: unknown) => (e instanceof Refused ? 1 : undefined);
    const fail = (e: Error) => () => {
      throw e;
    };
    expect(await runCommand('x', io, false, fail(new Refused('no')), failure)).toBe(1);
    await expect(runCommand('x', io, false, fail(new TypeError('bug')), failure)).rejects.toThrow('bug');
    await expect(runCommand('x', io, false, fail(new Refused('no')))).rejects.toThrow('no');
  });
});

describe('parseCommandLine', () => {
  const OPTIONS = {
    cycles: { type: 'string' },
    out: { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  } as const;

  it('parses options and positionals', () => {
    const { values, positionals } = parseCommandLine(['certify', '--cycles', '5', '--json'], OPTIONS);
    expect(values).toEqual({ cycles: '5', json: true });
    expect(positionals).toEqual(['certify']);
  });

  it('takes a negative number as the value, so the option rule can refuse it by its range', () => {
    const { values } = parseCommandLine(['--cycles', '-1'], OPTIONS);
    expect(values.cycles).toBe('-1');
    expect(() => integer('--cycles', values.cycles, CYCLES)).toThrow('from 1 to 1000000, got -1');
  });

  it('turns parseArgs errors into usage errors a person can act on', () => {
    const err = (argv: string[]) => {
      try {
        parseCommandLine(argv, OPTIONS);
      } catch (e) {
        expect(e).toBeInstanceOf(UsageError);
        return (e as Error).message;
      }
      throw new Error('no error');
    };
    expect(err(['--cycels', '5'])).toMatch(/^unknown option --cycels \(did you mean --cycles\?\)/);
    expect(err(['--out', '-x'])).toBe(
      '--out needs a value; to give one that starts with a dash, write --out=<value>',
    );
    expect(err(['--out'])).toBe('--out needs a value');
    expect(err(['--json=yes'])).toMatch(/--json/);
  });

  it('prints a usage error in one line and returns 2', () => {
    const lines: string[] = [];
    expect(
      reportUsageError('certify', new UsageError('--only must not be empty'), (l) => lines.push(l)),
    ).toBe(2);
    expect(lines[0]).toBe(
      'dpdk-hotplug certify: --only must not be empty\n(dpdk-hotplug certify --help lists the options)',
    );
    reportUsageError('bind', new UsageError('x'), (l) => lines.push(l), true);
    expect(JSON.parse(lines[1]!)).toEqual({ error: { name: 'UsageError', code: 'USAGE', message: 'x' } });
  });
});
