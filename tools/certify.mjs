#!/usr/bin/env node
// `npm run certify`: until the conformance suite lands, runs the SDK's demo on a vdev.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const build = spawnSync('npx', ['nx', 'run', '@dpdk-hotplug/ethdev:build'], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
const demo = spawnSync(process.execPath, [join(root, 'packages/ethdev/examples/attach-traffic-detach.mjs')], {
  stdio: 'inherit',
});
process.exit(demo.status ?? 1);
