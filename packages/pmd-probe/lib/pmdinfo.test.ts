import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { currentDpdk } from '@dpdk-hotplug/ethdev';
import { afterAll, describe, expect, it } from 'vitest';
import { findStrings, readElf } from './elf.js';
import {
  driversFor,
  installedPmdDir,
  type PmdInfo,
  parseKmod,
  pmdInfoPrefixPlacement,
  readPmdInfoFile,
  scanPmdInfo,
} from './pmdinfo.js';

// The script of the DPDK in use (Debian's in /usr/bin; a source build's in its prefix, as the
// release matrix runs it), whose rules that DPDK's records follow.
const DPDK = (() => {
  try {
    return currentDpdk();
  } catch {
    return undefined;
  }
})();
const PMDINFO = join(DPDK?.prefix ?? '/usr', 'bin', 'dpdk-pmdinfo.py');
/** Debian's whole DPDK (every PMD), not a reduced source build (dpdk-build's: about 16 PMDs). */
const debians = DPDK?.prefix === '/usr';
const hasPython = existsSync(PMDINFO) && existsSync('/usr/bin/python3');
const hasGcc = existsSync('/usr/bin/gcc') || existsSync('/usr/bin/cc');
const work = mkdtempSync(join(tmpdir(), 'dphp-elf-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const key = ({ file: _f, ...rest }: PmdInfo) => JSON.stringify(rest, Object.keys(rest).sort());
const pmdinfoPy = (files: string[]): PmdInfo[] =>
  JSON.parse(execFileSync('/usr/bin/python3', [PMDINFO, ...files], { maxBuffer: 1 << 28, encoding: 'utf8' }));

describe.skipIf(!hasPython)('the installed PMDs, compared with dpdk-pmdinfo.py', () => {
  /**
   * Steps: read every installed PMD (with the librte_* libraries each needs, as the script does),
   * and run dpdk-pmdinfo.py on the same files.
   * Verify: the same set of records: driver names, PCI ids as 4-digit hex with wildcards dropped,
   * kmod and params strings.
   */
  it('finds exactly the records dpdk-pmdinfo.py finds', async () => {
    const dir = await installedPmdDir();
    const ours = await scanPmdInfo(dir, { followNeeded: true });
    const plain = await scanPmdInfo(dir);
    expect(plain.files.length).toBeGreaterThan(debians ? 50 : 10);
    expect(ours.skipped).toEqual([]);
    const theirs = pmdinfoPy(plain.files);
    expect(theirs.length).toBeGreaterThan(debians ? 100 : 10);
    expect(new Set(ours.drivers.map(key))).toEqual(new Set(theirs.map(key)));
    expect(ours.drivers).toHaveLength(theirs.length);
  });

  /**
   * Steps: one file at a time, for a few PMDs of different kinds.
   * Verify: the same records as the script gives for that file.
   */
  it('agrees file by file', async () => {
    const dir = await installedPmdDir();
    for (const name of [
      'librte_net_e1000.so',
      'librte_net_null.so',
      'librte_net_virtio.so',
      'librte_net_ixgbe.so',
    ]) {
      const file = join(dir, name);
      if (!existsSync(file)) continue;
      const ours = (await scanPmdInfo(file, { followNeeded: true })).drivers;
      expect(new Set(ours.map(key)), name).toEqual(new Set(pmdinfoPy([file]).map(key)));
    }
  });
});

describe.skipIf(!hasPython)('libraries given by their soname links', () => {
  /**
   * Steps: give every librte_*.so.N link of the libdir (what `dpdk-pmdinfo.py libdir/*.so.N`
   * does) to both, dependencies followed.
   * Verify: the script prints some records twice — a library reached both as a link given on its
   * command line and as the resolved path ldd gives for another library's dependency is read
   * twice (Debian 13's 24.11: 188 records, 162 distinct) — ours reads each file once: the same
   * distinct records, none twice.
   */
  it('gives the distinct records the script gives, each once', async () => {
    const libdir = dirname(dirname(await installedPmdDir()));
    const links = readdirSync(libdir)
      .filter((f) => /^librte_.*\.so\.\d+$/.test(f))
      .map((f) => join(libdir, f));
    const ours = (await scanPmdInfo(links, { followNeeded: true })).drivers;
    const theirs = pmdinfoPy(links);
    const distinct = new Set(theirs.map(key));
    // Debian's libdir has such libraries; a reduced source build may have none.
    if (debians) expect(theirs.length).toBeGreaterThan(distinct.size);
    expect(new Set(ours.map(key))).toEqual(distinct);
    expect(ours).toHaveLength(distinct.size);
  });
});

describe.skipIf(!hasPython)('which PMD drives a device', () => {
  /**
   * Steps: ask for 8086:10d3 (an 82574L, what QEMU's e1000e emulates) and 1af4:1041 (virtio-net).
   * Verify: net_e1000_em and net_virtio, with the kernel modules each accepts.
   */
  it('answers vendor:device with the driver and its kernel modules', async () => {
    const { drivers } = await scanPmdInfo('installed');
    const em = driversFor(drivers, { vendor: '8086', device: '10d3' });
    expect(em.map((m) => m.driver.name)).toContain('net_e1000_em');
    expect(em.find((m) => m.driver.name === 'net_e1000_em')!.kernelModules.flat()).toEqual(
      expect.arrayContaining(['igb_uio', 'vfio-pci']),
    );
    expect(driversFor(drivers, { vendor: '0x1AF4', device: '1041' }).map((m) => m.driver.name)).toContain(
      'net_virtio',
    );
    expect(driversFor(drivers, { vendor: 'dead', device: 'beef' })).toEqual([]);
  });
});

describe('kmod strings', () => {
  it('splits alternatives and required sets', () => {
    expect(parseKmod('* igb_uio | uio_pci_generic | vfio-pci')).toEqual([
      ['igb_uio'],
      ['uio_pci_generic'],
      ['vfio-pci'],
    ]);
    expect(parseKmod('* ib_uverbs & mlx5_core & mlx5_ib')).toEqual([['ib_uverbs', 'mlx5_core', 'mlx5_ib']]);
    expect(parseKmod(undefined)).toEqual([]);
  });
});

describe('where the PMD_INFO_STRING= prefix may stand, per DPDK release', () => {
  /**
   * Steps: ask for the placement of releases on each side of DPDK's change (93389614bf: 26.03,
   * backported to 23.11.7, 24.11.5, 25.11.1).
   * Verify: what each tag's usertools/dpdk-pmdinfo.py did with the small ELF below (run by hand
   * on v22.11, v22.11.11, v23.03, v23.07, v23.11.6, v23.11.7, v24.07, v24.11.4, v24.11.5, v25.07,
   * v25.11, v25.11.1, v26.03, v26.07); Debian's 22.11.11, 24.11.8 and 25.11.4 run in the
   * matrix's test below.
   */
  it('follows the release whose script is read', () => {
    const startOnly = ['22.11', '22.11.11', '23.03.0', '23.07.0', '23.11.0', '23.11.6', '24.03.0'];
    const anywhere = ['23.11.7', '24.11.5', '24.11.8', '25.11.1', '25.11.4', '26.03.0', '26.07.0', '27.11.2'];
    for (const v of [...startOnly, '24.07.0', '24.11.4', '25.03.0', '25.07.0', '25.11.0'])
      expect(pmdInfoPrefixPlacement(v), v).toBe('run-start');
    for (const v of anywhere) expect(pmdInfoPrefixPlacement(v), v).toBe('anywhere');
    expect(pmdInfoPrefixPlacement(undefined)).toBe('anywhere');
  });

  /**
   * Steps: find records in a buffer with a record at a run's start, one after other printable
   * text, a run holding the prefix twice, one not ending in NUL, one at the buffer's start.
   * Verify: `run-start` takes only runs that begin with the prefix; `anywhere` takes the text
   * after the first prefix of each NUL-ended run, one per run, as `s.find(prefix)` does.
   */
  it('reads runs as startswith and as find do', () => {
    const buf = Buffer.from('P=a\0\x01xP=b\0\x02P=c\0yP=dP=e\0\x03zP=f\x01P=g', 'latin1');
    expect(findStrings(buf, 'P=', 'run-start')).toEqual(['a', 'c']);
    expect(findStrings(buf, 'P=', 'anywhere')).toEqual(['a', 'b', 'c', 'dP=e']);
  });
});

describe.skipIf(!hasGcc)('small ELF files built here', () => {
  /**
   * Steps: compile a shared object with two PMD_INFO_STRING records (one with wildcard ids), one
   * string broken by a non-printable byte, one preceded by other text, and one run holding two;
   * read it.
   * Verify: the two good records, ids scrubbed as the script does; the broken one skipped; the
   * preceded one only where the DPDK in use's script finds the prefix anywhere (24.11.5, 25.11.1,
   * 26.03 and later), not with 22.11's `startswith`; the run of two never (its text after the
   * first prefix is not JSON); and the same as dpdk-pmdinfo.py where it is installed.
   */
  it('reads records with the script filtering rules', async () => {
    const c = join(work, 'pmd.c');
    writeFileSync(
      c,
      [
        '__attribute__((used)) static const char a[] = "PMD_INFO_STRING= {\\"name\\" : \\"net_fake\\", \\"kmod\\" : \\"* vfio-pci\\", \\"pci_ids\\" : [[32902, 4307, 65535, 65535], [65535, 65535, 65535, 65535]] }";',
        '__attribute__((used)) static const char b[] = "PMD_INFO_STRING= {\\"name\\" : \\"net_fake_vdev\\", \\"params\\" : \\"size=<int>\\", \\"pci_ids\\" : [] }";',
        '__attribute__((used)) static const char c[] = "PMD_INFO_STRING= {\\"name\\" : \\"broken\\x01\\", \\"pci_ids\\" : [] }";',
        '__attribute__((used)) static const char d[] = "xPMD_INFO_STRING= {\\"name\\" : \\"prefixed\\", \\"pci_ids\\" : [] }";',
        '__attribute__((used)) static const char e[] = "yPMD_INFO_STRING= {\\"name\\" : \\"first\\"}PMD_INFO_STRING= {\\"name\\" : \\"second\\"}";',
      ].join('\n'),
    );
    const so = join(work, 'libfake.so');
    execFileSync('gcc', ['-shared', '-fPIC', '-o', so, c, '-Wl,--no-as-needed', '-lm']);
    const records = await readPmdInfoFile(so);
    const { version } = currentDpdk();
    expect(records.map(({ file: _f, ...r }) => r)).toEqual([
      { name: 'net_fake', kmod: '* vfio-pci', pci_ids: [{ vendor: '8086', device: '10d3' }] },
      { name: 'net_fake_vdev', params: 'size=<int>' },
      ...(pmdInfoPrefixPlacement(version) === 'anywhere' ? [{ name: 'prefixed' }] : []),
    ]);
    if (hasPython) expect(new Set(records.map(key))).toEqual(new Set(pmdinfoPy([so]).map(key)));
    expect(readElf(await import('node:fs').then((fs) => fs.readFileSync(so))).needed()).toContain(
      'libc.so.6',
    );
  });

  /**
   * Steps: read a text file, a truncated ELF header, an ELF whose section table points past the end.
   * Verify: NOT_ELF naming the file and what is wrong; never a crash or a RangeError.
   */
  it('rejects what is not ELF with a typed error', async () => {
    const text = join(work, 'not.so');
    writeFileSync(text, 'hello, this is not an ELF file at all, but it is long enough to look at');
    await expect(readPmdInfoFile(text)).rejects.toMatchObject({
      code: 'NOT_ELF',
      message: expect.stringContaining('no ELF magic'),
    });
    const header = Buffer.alloc(64);
    header.writeUInt32BE(0x7f454c46, 0);
    header[4] = 2;
    header[5] = 1;
    header.writeBigUInt64LE(10_000n, 0x28);
    header.writeUInt16LE(64, 0x3a);
    header.writeUInt16LE(3, 0x3c);
    expect(() => readElf(header, 'bad.so')).toThrow(
      expect.objectContaining({ code: 'NOT_ELF', message: expect.stringContaining('outside the file') }),
    );
    const scan = await scanPmdInfo([text]);
    expect(scan.skipped).toEqual([
      { file: expect.stringContaining('not.so'), reason: expect.stringContaining('no ELF magic') },
    ]);
    await expect(scanPmdInfo('/nonexistent/pmds')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
