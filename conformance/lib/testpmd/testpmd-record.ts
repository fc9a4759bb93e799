/**
 * Records testpmd transcripts for the parser's tests (conformance/fixtures/testpmd/<release>/):
 * check 16's scenario on vdevs that need no set-up outside testpmd, and the refusals the parser
 * must read. On this host's DPDK, or inside a matrix root filesystem (Debian 13: 24.11, sid:
 * 25.11), entered in a private mount namespace with the matrix's own `enterScript` (nothing is
 * written into the root filesystem: its /run and /tmp are tmpfs in that namespace).
 *
 * Usage (root): node conformance/dist/testpmd/testpmd-record.js host|trixie|sid OUT_DIR
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hugepageLab } from '../common/hugepages.js';
import { runMpOnce } from '../multi-process/mp-scenario.js';
import { type OraclePlan, testpmdScenario } from './oracle.js';
import { Testpmd, type TestpmdOptions } from './testpmd.js';
import { type TestpmdPeer, testpmdGroup } from './testpmd-mp.js';

const ROOTFS = '/var/cache/dpdk-hotplug/matrix';

/** What each recording runs: the scenario, then refusals worth reading. */
const recordings = (release: string): { name: string; plan: OraclePlan; more?: string[] }[] => [
  {
    name: 'net_null',
    plan: { helpers: [], devargs: 'net_null0', device: 'net_null0' },
    more: [
      'port attach net_null0', // already attached
      'port attach net_null1,dphp_no_such_argument=1',
      'port attach net_no_such_pmd0',
      'show port info 9',
      'port stop 9',
      'port detach 9',
      'device detach net_null7',
    ],
  },
  { name: 'net_ring', plan: { helpers: [], devargs: 'net_ring0', device: 'net_ring0' } },
  {
    name: 'net_failsafe',
    plan: { helpers: [], devargs: 'net_failsafe0,dev(net_null90)', device: 'net_failsafe0' },
  },
  {
    name: 'net_tap',
    plan: { helpers: [], devargs: 'net_tap0,iface=dhtoracle0', device: 'net_tap0' },
  },
  {
    name: 'net_bonding',
    plan: {
      helpers: ['net_null90', 'net_null91'],
      // 24.11 renamed bonding's `slave` argument `member`.
      devargs: `net_bonding0,mode=0,${['net_null90', 'net_null91'].map((m) => `${release === 'host' ? 'slave' : 'member'}=${m}`).join(',')}`,
      device: 'net_bonding0',
    },
  },
  {
    name: 'net_virtio_user',
    plan: {
      helpers: ['net_vhost99,iface=/tmp/oracle-vhost.sock,queues=1'],
      startHelpers: true,
      devargs: 'net_virtio_user0,path=/tmp/oracle-vhost.sock,queues=1',
      device: 'net_virtio_user0',
    },
  },
];

async function launcherFor(
  release: string,
  binds: [string, string][] = [],
): Promise<TestpmdOptions['launcher']> {
  if (release === 'host') return undefined;
  // The matrix's pure helpers (no work copy involved): the same mounts its runs make.
  const url = new URL('../../../tools/matrix/lib.mjs', import.meta.url).href;
  const { enterScript, shq } = (await import(url)) as {
    enterScript: (o: {
      root: string;
      command: string;
      env: Record<string, string>;
      binds: [string, string][];
    }) => string;
    shq: (s: string) => string;
  };
  return (args) => ({
    file: 'unshare',
    args: [
      '-m',
      '--propagation',
      'private',
      'sh',
      '-c',
      enterScript({
        root: join(ROOTFS, release, 'rootfs'),
        command: `exec stdbuf -oL dpdk-testpmd ${args.map(shq).join(' ')} 2>&1`,
        env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
        binds,
      }),
    ],
  });
}

/**
 * Check 17's scenario through a primary and a secondary testpmd, then what testpmd's primary says
 * to a port the secondary attached (the refusals check 17 works around), into
 * `mp-net_null-primary.txt` and `mp-net_null-secondary.txt`. In a root filesystem each testpmd is
 * in a mount namespace of its own: the two share the host's hugetlbfs and a runtime folder of the
 * recorder's, bound at the same paths in both.
 */
async function recordMultiProcess(release: string, out: string): Promise<void> {
  const huge = await hugepageLab(48);
  if ('unavailable' in huge)
    throw new Error(`no hugepages for the multi-process recording: ${huge.unavailable}`);
  const runtime = mkdtempSync(join(tmpdir(), 'dphp-record-run-'));
  const inRoot = release !== 'host';
  const launcher = await launcherFor(release, [
    [huge.dir, '/tmp/huge'],
    [runtime, '/run/dpdk'],
  ]);
  const group = testpmdGroup(`oracle-record-mp-${process.pid}`, inRoot ? '/tmp/huge' : huge.dir, {
    ...(launcher ? { launcher } : {}),
  });
  try {
    const { outcome } = await runMpOnce('record', async () => group, {
      devargs: 'net_null0',
      device: 'net_null0',
      order: 'remove-unclosed',
      settled: async () => true,
      lastDetach: 'secondary',
    });
    console.log(`${release} multi-process: ${JSON.stringify(outcome)}`);
  } finally {
    await group.stop();
  }
  // The primary's refusals, in a group of their own: a port the secondary attached.
  const again = testpmdGroup(`oracle-record-mp2-${process.pid}`, inRoot ? '/tmp/huge' : huge.dir, {
    ...(launcher ? { launcher } : {}),
  });
  try {
    await again.primary.next();
    const secondary = again.startSecondary() as TestpmdPeer;
    await secondary.next();
    await secondary.run('port attach net_null0');
    await again.primary.run('show port summary all');
    for (const c of ['port detach 0', 'device detach net_null0', 'port start 0']) await again.primary.run(c);
    await secondary.run('port detach 0');
    await again.primary.run('show port summary all');
  } finally {
    await again.stop();
    const both = [group, again];
    for (const role of ['primary', 'secondary'] as const) {
      const text = both
        .map((g) =>
          role === 'primary' ? g.primary.transcript : g.secondaries.map((s) => s.transcript).join(''),
        )
        .join('');
      writeFileSync(join(out, `mp-net_null-${role}.txt`), text);
    }
    rmSync(runtime, { recursive: true, force: true });
    await huge.undo();
  }
}

async function main(): Promise<void> {
  const [release, out] = process.argv.slice(2);
  if (!release || !out || !['host', 'trixie', 'sid'].includes(release)) {
    console.error('usage: testpmd-record host|trixie|sid OUT_DIR');
    process.exit(2);
  }
  const launcher = await launcherFor(release);
  mkdirSync(out, { recursive: true });
  for (const r of recordings(release)) {
    const tp = await Testpmd.start({ filePrefix: `oracle-record-${process.pid}`, launcher });
    try {
      const steps = await testpmdScenario(tp, r.plan);
      for (const c of r.more ?? []) await tp.run(c);
      console.log(`${release} ${r.name}: ${steps.map((s) => `${s.step}=${s.outcome}`).join(' ')}`);
    } finally {
      await tp.close();
      writeFileSync(join(out, `${r.name}.txt`), tp.transcript);
    }
  }
  await recordMultiProcess(release, out);
}

await main();
