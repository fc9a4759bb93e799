/**
 * Every row of HAZARDOUS_DEVARGS, on real DPDK: given straight to rte_dev_probe in a child
 * process it does what the row says (crash, hang, run a command …); given to the SDK it is
 * refused with INVALID_DEVARGS naming the key, nothing happens, and the process goes on.
 */

import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDevargs } from './devargs.js';
import { currentDpdk } from './dpdk-install.js';
import type { Eal } from './eal.js';
import { isHotplugError } from './errors.js';
import { HAZARDOUS_DEVARGS, type HazardousDevargs } from './hazards.js';
import { runtimeDirFor } from './runtime-dir.js';
import { errorOf, startEal } from './test-support/env.js';
import { ethernetFrame } from './testing.js';
import { atLeast, releaseOf } from './versions.js';

const RAW_PROBE = fileURLToPath(new URL('./test-support/raw-probe.mjs', import.meta.url));
const HANG_MS = 2500;
let root: string;
let eal: Eal;

/** A private folder for one row: the sample's placeholders filled in. */
function lab(row: HazardousDevargs, tag: string) {
  const dir = join(root, `${row.id}-${tag}`);
  mkdirSync(dir);
  const fifo = join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  const file = join(dir, 'precious.pcap');
  writeFileSync(file, 'precious data, not a capture');
  const fdFile = join(dir, 'fd-input');
  writeFileSync(fdFile, 'net_null7\n');
  const devargs = row.sample.replace('{dir}', dir).replace('{fifo}', fifo).replace('{file}', file);
  return { dir, file, fdFile, devargs };
}

interface Outcome {
  signal: NodeJS.Signals | null;
  hung: boolean;
  stdout: Buffer;
  stderr: string;
}

/** rte_dev_probe(devargs) in a child, past the SDK; a child still probing after HANG_MS is killed. */
function rawProbe(devargs: string, fdFile: string, prefix: string, needs = ''): Promise<Outcome> {
  const child = spawn(process.execPath, [RAW_PROBE, prefix, devargs, fdFile, needs], { stdio: 'pipe' });
  const out: Buffer[] = [];
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => out.push(b));
  child.stderr.on('data', (b: Buffer) => {
    stderr += b.toString();
  });
  let hung = false;
  let timer: NodeJS.Timeout | undefined;
  const armed = new Promise<void>((r) => child.stderr.on('data', () => stderr.includes('probing') && r()));
  void armed.then(() => {
    timer = setTimeout(() => {
      hung = true;
      child.kill('SIGKILL');
    }, HANG_MS);
  });
  return new Promise((resolve) =>
    child.on('close', (_code, signal) => {
      clearTimeout(timer);
      // A crashed or killed child leaves its runtime folder: ours, by its unique prefix.
      rmSync(runtimeDirFor(prefix), { recursive: true, force: true });
      resolve({ signal: hung ? null : signal, hung, stdout: Buffer.concat(out), stderr });
    }),
  );
}

function expectEffect(row: HazardousDevargs, o: Outcome, l: ReturnType<typeof lab>): void {
  const seen = `${row.id}: ${JSON.stringify({ ...o, stdout: o.stdout.length })}`;
  const fixed = row.fixedIn === undefined ? undefined : releaseOf(row.fixedIn);
  if (fixed && atLeast(currentDpdk().version, fixed.year, fixed.month)) {
    // Fixed upstream: this DPDK refuses the input itself, nothing crashes or hangs.
    expect({ signal: o.signal, hung: o.hung }, seen).toEqual({ signal: null, hung: false });
    expect(o.stderr, seen).toMatch(/rc=-\d+/);
    return;
  }
  switch (row.effect) {
    case 'crash':
      expect(o.signal, seen).toBe('SIGSEGV');
      break;
    case 'hang':
      expect(o.hung, seen).toBe(true);
      break;
    case 'runs-shell-command':
      expect(existsSync(join(l.dir, 'ran')), seen).toBe(true);
      break;
    case 'reads-process-fd':
      expect(o.stderr, seen).toMatch(/rc=0 sub=1/);
      break;
    case 'writes-stdout':
      // A pcap file header (nanosecond magic, little-endian).
      expect(o.stdout.subarray(0, 4).toString('hex'), seen).toBe('4d3cb2a1');
      break;
    case 'overwrites-file':
      expect(statSync(l.file).size, seen).toBe(24);
      break;
  }
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'dphp-hazards-'));
  eal = startEal();
});
afterAll(() => {
  eal?.cleanup();
  rmSync(root, { recursive: true, force: true });
});

describe('HAZARDOUS_DEVARGS', () => {
  it('is data: frozen rows with an id, a PMD, a key, an effect, why, and a sample', () => {
    expect(Object.isFrozen(HAZARDOUS_DEVARGS)).toBe(true);
    expect(new Set(HAZARDOUS_DEVARGS.map((r) => r.id)).size).toBe(HAZARDOUS_DEVARGS.length);
    for (const row of HAZARDOUS_DEVARGS) {
      expect(Object.isFrozen(row)).toBe(true);
      expect(row.sample.startsWith(row.pmd)).toBe(true);
    }
  });

  it('does what each row says when DPDK gets it straight (each in a child process)', async () => {
    const rows = [...HAZARDOUS_DEVARGS];
    // Every row is tried, and every row that does not do what it says is named at once: on a new
    // DPDK release, that is the list of what it fixed (or changed).
    const wrong: string[] = [];
    // Two at a time: the machine has two cores, and hangs wait out their time.
    for (let i = 0; i < rows.length; i += 2) {
      await Promise.all(
        rows.slice(i, i + 2).map(async (row) => {
          const l = lab(row, 'raw');
          const o = await rawProbe(l.devargs, l.fdFile, `vitest-${process.pid}-${row.id}`, row.needs);
          try {
            expectEffect(row, o, l);
          } catch (e) {
            wrong.push((e as Error).message.split('\n')[0]!);
          }
        }),
      );
    }
    if (wrong.length) throw new Error(`on DPDK ${currentDpdk().version}:\n${wrong.join('\n')}`);
  }, 60_000);

  it.each(HAZARDOUS_DEVARGS.map((r) => [r.id, r] as const))(
    '%s is refused by the SDK, nothing happens, and this process goes on',
    (_id, row) => {
      const l = lab(row, 'sdk');
      const e = errorOf(() => eal.attachSync(l.devargs));
      expect(isHotplugError(e, 'INVALID_DEVARGS'), e?.message).toBe(true);
      expect(e!.key).toBe(row.key);
      expect(existsSync(join(l.dir, 'ran'))).toBe(false);
      expect(readFileSync(l.file, 'utf8')).toBe('precious data, not a capture');
      if (row.allowedBy) {
        const policy =
          row.allowedBy === 'overwriteFiles' ? { overwriteFiles: true } : { allowShellCommands: true };
        expect(() => parseDevargs(l.devargs, policy)).not.toThrow();
      }
      const port = eal.attachSync('net_null0');
      eal.close(port);
      expect(eal.detachSync(port)).toBe('net_null0');
    },
  );
});

describe('what is not refused, and why', () => {
  it('pcap interface keys name interfaces, not files: a FIFO or /dev/stdin there fails cleanly', async () => {
    const fifo = join(root, 'iface-fifo');
    execFileSync('mkfifo', [fifo]);
    for (const devargs of [`net_pcap0,rx_iface=${fifo}`, 'net_pcap0,iface=/dev/stdin']) {
      const o = await rawProbe(devargs, '', `vitest-${process.pid}-iface`);
      expect(o, devargs).toMatchObject({ signal: null, hung: false });
      expect(o.stderr, devargs).toMatch(/rc=-1 /);
    }
  });
});

describe('the opt-ins', () => {
  it('net_pcap truncates its tx file again at each start (why overwriting is asked at attach)', () => {
    const out = join(root, 'restart.pcap');
    const port = eal.attachSync(`net_pcap2,tx_pcap=${out}`);
    eal.configure(port);
    eal.start(port);
    expect(eal.txBurst(port, [ethernetFrame('before-restart')])).toBe(1);
    eal.stop(port);
    expect(statSync(out).size).toBeGreaterThan(24);
    eal.start(port);
    eal.stop(port);
    eal.close(port);
    eal.detachSync(port);
    expect(statSync(out).size).toBe(24);
  });

  it('overwriteFiles on attach lets net_pcap truncate an existing file; a file its PMD made is its own', () => {
    const out = join(root, 'out.pcap');
    writeFileSync(out, 'old');
    const devargs = `net_pcap0,tx_pcap=${out}`;
    expect(
      isHotplugError(
        errorOf(() => eal.attachSync(devargs)),
        'INVALID_DEVARGS',
      ),
    ).toBe(true);
    const port = eal.attachSync(devargs, { overwriteFiles: true });
    eal.close(port);
    eal.detachSync(port);
    expect(statSync(out).size).toBe(24);
    // Attached again without the option: this process's PMD wrote it last.
    const again = eal.attachSync(devargs);
    eal.close(again);
    eal.detachSync(again);
    const other = join(root, 'made.pcap');
    const made = eal.attachSync(`net_pcap1,tx_pcap=${other}`);
    eal.close(made);
    eal.detachSync(made);
    const once = eal.attachSync(`net_pcap1,tx_pcap=${other}`);
    eal.close(once);
    eal.detachSync(once);
  });
});
