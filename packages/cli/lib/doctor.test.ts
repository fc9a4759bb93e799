import { describe, expect, it } from 'vitest';
import { main } from './doctor.js';

async function doctor(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

// The diagnosis itself is tested in packages/ethdev/lib/doctor.test.ts; this is its command line.
describe('dpdk-hotplug doctor', () => {
  it('prints the lines of what is missing and exits 1', async () => {
    const r = await doctor(['--dpdk', '/nonexistent/dpdk']);
    expect(r.code).toBe(1);
    expect(r.out).toContain('missing DPDK  No DPDK at /nonexistent/dpdk: no such directory');
    expect(r.out).toMatch(/something the SDK needs is missing \(see above\)$/);
  });

  it('prints the report as JSON with --json', async () => {
    const r = await doctor(['--json', '--dpdk', '/nonexistent/dpdk']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out)).toMatchObject({ ok: false, checks: [{ name: 'DPDK', status: 'missing' }] });
  });

  it('refuses bad usage in one line, exit 2, before diagnosing anything', async () => {
    const r = await doctor(['--dpdk', '/usr', 'extra']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^dpdk-hotplug doctor: doctor takes no arguments, got extra\n/);
    expect(r.out).toBe('');
    const help = await doctor(['--help']);
    expect([help.code, help.out]).toEqual([0, expect.stringMatching(/^dpdk-hotplug doctor \[--dpdk/)]);
  });
});
