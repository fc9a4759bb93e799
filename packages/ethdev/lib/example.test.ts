/** The README's examples run, each in its own process, and print what the README says. */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

it('examples/attach-traffic-detach.mjs runs and prints the README lines', () => {
  const script = fileURLToPath(new URL('../examples/attach-traffic-detach.mjs', import.meta.url));
  const out = execFileSync(process.execPath, [script], { encoding: 'utf8', timeout: 20_000 });
  expect(out.split('\n').filter(Boolean)).toEqual([
    'attached net_ring0 as port 0',
    'sent 2, received 2',
    'refused: Port 0 (net_ring0) is started: stop and close it first',
    'detached net_ring0',
    'detach returned net_ring0',
  ]);
});

// The async example: each step off the thread, an attach aborted while queued, release.
it('examples/async-lifecycle.mjs runs and prints the README lines', () => {
  const script = fileURLToPath(new URL('../examples/async-lifecycle.mjs', import.meta.url));
  const out = execFileSync(process.execPath, [script], { encoding: 'utf8', timeout: 20_000 });
  expect(out.split('\n').filter(Boolean)).toEqual([
    'port 0 (generation 1) is started',
    'attach: ABORTED',
    'ports: 1',
    'released net_null0',
  ]);
});
