import { describe, expect, it } from 'vitest';
import { hugepages, mountHugetlbfs, parseSize, releaseHugepages, reserveHugepages } from './hugepages.js';
import { fakeMachines } from './test-support/machines.js';

const make = fakeMachines();

describe('hugepages on a fake tree', () => {
  it('parses sizes the way people write them', () => {
    expect(parseSize('256M')).toBe(256 * 2 ** 20);
    expect(parseSize('1G')).toBe(2 ** 30);
    expect(parseSize('2048k')).toBe(2048 * 1024);
    expect(parseSize('1.5GiB')).toBe(1.5 * 2 ** 30);
    expect(parseSize('4096')).toBe(4096);
    expect(() => parseSize('lots')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  /**
   * Steps: reserve 256M of 2 MB pages, system-wide and on node 0; release each.
   * Verify: 128 pages written and read back; release writes the old count.
   */
  it('reserves per size and node, and releases', async () => {
    const m = make();
    const r = await reserveHugepages(m.host, '256M', { pageSizeKb: 2048 });
    expect(r).toMatchObject({ pageSizeKb: 2048, node: null, before: 0, after: 128 });
    expect((await hugepages(m.host)).sizes.find((s) => s.pageSizeKb === 2048)).toMatchObject({
      total: 128,
      free: 128,
    });
    // Someone else reserves 10 more pages meanwhile; the release takes back only its own 128.
    await m.host.io.write(m.host.sys('kernel/mm/hugepages/hugepages-2048kB/nr_hugepages'), '138\n');
    await r.release();
    expect(m.read('kernel/mm/hugepages/hugepages-2048kB/nr_hugepages').trim()).toBe('10');
    await m.host.io.write(m.host.sys('kernel/mm/hugepages/hugepages-2048kB/nr_hugepages'), '0\n');
    // Asking for less than is already reserved lowers nothing.
    await m.host.io.write(m.host.sys('kernel/mm/hugepages/hugepages-2048kB/nr_hugepages'), '100\n');
    const less = await reserveHugepages(m.host, '64M', { pageSizeKb: 2048 });
    expect(less).toMatchObject({ before: 100, after: 100 });
    await less.release();
    expect(m.read('kernel/mm/hugepages/hugepages-2048kB/nr_hugepages').trim()).toBe('100');
    await m.host.io.write(m.host.sys('kernel/mm/hugepages/hugepages-2048kB/nr_hugepages'), '0\n');
    // Two users adding at once both get their pages, and each gives back only its own.
    const [a, b] = await Promise.all([
      reserveHugepages(m.host, '32M', { pageSizeKb: 2048, add: true }),
      reserveHugepages(m.host, '64M', { pageSizeKb: 2048, add: true }),
    ]);
    expect(m.read('kernel/mm/hugepages/hugepages-2048kB/nr_hugepages').trim()).toBe('48');
    await a.release();
    expect(m.read('kernel/mm/hugepages/hugepages-2048kB/nr_hugepages').trim()).toBe('32');
    await b.release();
    expect(m.read('kernel/mm/hugepages/hugepages-2048kB/nr_hugepages').trim()).toBe('0');
    const n = await reserveHugepages(m.host, '64M', { pageSizeKb: 2048, node: 0 });
    expect(m.writes.at(-1)).toEqual({
      path: 'devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages',
      data: '32\n',
    });
    await n.release();
  });

  /**
   * Steps: a user adds 16 pages and dies without releasing them; another adds 8 meanwhile; the
   * dead user's 16 are given back by count (the run's safety net does this from its ledger).
   * Verify: only 16 go; the other user's 8 stay; a negative count is refused.
   */
  it('gives back a dead reservation by its count, never to the count before', async () => {
    const m = make();
    const nr = m.host.sys('kernel/mm/hugepages/hugepages-2048kB/nr_hugepages');
    await reserveHugepages(m.host, '32M', { pageSizeKb: 2048, add: true });
    await reserveHugepages(m.host, '16M', { pageSizeKb: 2048, add: true });
    expect((await m.host.io.read(nr)).trim()).toBe('24');
    await releaseHugepages(m.host, 16, { pageSizeKb: 2048 });
    expect((await m.host.io.read(nr)).trim()).toBe('8');
    await expect(releaseHugepages(m.host, -1, { pageSizeKb: 2048 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });

  /**
   * Steps: ask for more than the fake kernel grants (512 pages max); ask for 1 GB pages it has none
   * of; ask for a node that does not exist; a size the kernel lacks.
   * Verify: HUGEPAGES_SHORT with the count it gave, and the count put back; typed errors otherwise.
   */
  it('gives back a short reservation and names what is missing', async () => {
    const m = make();
    const e = await reserveHugepages(m.host, '2G', { pageSizeKb: 2048 }).catch((x) => x);
    expect(e).toMatchObject({
      code: 'HUGEPAGES_SHORT',
      message: expect.stringContaining('the kernel gave 512'),
    });
    expect(m.read('kernel/mm/hugepages/hugepages-2048kB/nr_hugepages').trim()).toBe('0');
    await expect(reserveHugepages(m.host, '1G', { pageSizeKb: 1048576 })).rejects.toMatchObject({
      code: 'HUGEPAGES_SHORT',
    });
    await expect(reserveHugepages(m.host, '2M', { pageSizeKb: 2048, node: 3 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await expect(reserveHugepages(m.host, '2M', { pageSizeKb: 16 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('2048 kB, 1048576 kB'),
    });
  });

  /**
   * Steps: mount hugetlbfs through a fake `mount` that fails, and one that succeeds.
   * Verify: the command line is mount -t hugetlbfs -o pagesize=2048K nodev DIR; failure is MOUNT_FAILED
   * with mount's stderr as the hint.
   */
  it('mounts with the page size and reports mount errors', async () => {
    const calls: string[][] = [];
    let code = 32;
    const m = make();
    const host = {
      ...m.host,
      exec: async (file: string, args: readonly string[]) => {
        calls.push([file, ...args]);
        return { code, stdout: '', stderr: code ? 'mount: only root can do that.' : '' };
      },
    };
    const dir = `${m.root}/huge`;
    await expect(mountHugetlbfs(host, dir, { pageSizeKb: 2048 })).rejects.toMatchObject({
      code: 'MOUNT_FAILED',
      message: expect.stringContaining('only root can do that'),
    });
    code = 0;
    expect(await mountHugetlbfs(host, dir, { pageSizeKb: 2048 })).toMatchObject({
      target: dir,
      pageSizeKb: 2048,
    });
    expect(calls.at(-1)).toEqual(['mount', '-t', 'hugetlbfs', '-o', 'pagesize=2048K', 'nodev', dir]);
  });

  /**
   * Steps: a dry-run reservation; a reservation beyond the machine's memory; writes that fail
   * with EROFS, and with EACCES for root and for another user.
   * Verify: the dry run writes nothing (no lock either) and returns the write; the bound names
   * MemTotal; each failure's hint matches its cause ("run as root" only for a user who is not root).
   */
  it('dry runs, bounds by memory, and hints by cause', async () => {
    const m = make();
    const dry = await reserveHugepages(m.host, '64M', { pageSizeKb: 2048, dryRun: true });
    expect(dry).toMatchObject({ dryRun: true, before: 0, after: 32 });
    expect(dry.writes).toEqual([
      { path: m.host.sys('kernel/mm/hugepages/hugepages-2048kB/nr_hugepages'), data: '32\n' },
    ]);
    expect(m.writes).toEqual([]);
    await expect(reserveHugepages(m.host, '1T', { pageSizeKb: 2048 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining(
        "1T of hugepages is more than this machine's memory (MemTotal 4096 MiB)",
      ),
    });
    expect(() => parseSize('99999999999999999999T')).toThrow(/too large/);
    m.failWrites(/nr_hugepages/, 'EROFS');
    const rofs = await reserveHugepages(m.host, '64M', { pageSizeKb: 2048 }).catch((e) => e);
    expect(rofs).toMatchObject({ code: 'SYSFS_WRITE_FAILED', errno: 'EROFS' });
    expect(rofs.message).toContain('read-only file system');
    expect(rofs.message).not.toContain('run as root');
    m.failWrites(/nr_hugepages/, 'EACCES');
    const user = await reserveHugepages({ ...m.host, uid: 1000 }, '64M', { pageSizeKb: 2048 }).catch(
      (e) => e,
    );
    expect(user.message).toMatch(/\(EACCES\): run as root$/);
    m.failWrites(/nr_hugepages/, 'EACCES');
    const root = await reserveHugepages({ ...m.host, uid: 0 }, '64M', { pageSizeKb: 2048 }).catch((e) => e);
    expect(root.message).toContain('denied to root too');
  });
});
