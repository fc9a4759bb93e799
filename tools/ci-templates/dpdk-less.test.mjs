// The DPDK-less runner reads the templates as they are: every job it runs exists, has shell
// steps, and uses no action it cannot stand in for. (The run itself: `node
// tools/ci-templates/dpdk-less.mjs`, minutes of npm ci and builds in a root filesystem.)
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { jobSteps, KNOWN_USES, plans, templates } from './dpdk-less.mjs';

test('every DPDK-less job of both templates has shell steps and known actions only', () => {
  for (const plan of plans([])) {
    for (const job of plan.jobs) {
      const steps = jobSteps(templates[plan.template], job);
      assert.ok(
        steps.some((s) => s.run?.includes('npm ci')),
        `${plan.template} ${job} builds`,
      );
      assert.ok(
        steps.some((s) => /dpdk-hotplug lab (runners|merge)/.test(s.run ?? '')),
        `${plan.template} ${job}`,
      );
      for (const s of steps) if (s.uses) assert.match(s.uses, KNOWN_USES, `${plan.template} ${job}`);
    }
  }
});

test('a job that is not in the file is an error naming it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dphp-ci-tpl-'));
  try {
    const f = join(dir, 'w.yml');
    writeFileSync(f, 'jobs:\n  build:\n    steps:\n      - uses: actions/cache@v4\n      - run: make\n');
    assert.deepEqual(jobSteps(f, 'build'), [{ uses: 'actions/cache@v4' }, { run: 'make' }]);
    assert.doesNotMatch('actions/cache@v4', KNOWN_USES);
    assert.throws(() => jobSteps(f, 'merge'), /no job merge/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
