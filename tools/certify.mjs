#!/usr/bin/env node
// `npm run certify [-- options]`: builds the SDK and the suite (nx, cached), then runs
// `dpdk-hotplug certify` with the options (none: every default vdev DUT).
import { spawn, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const build = spawnSync('npx', ['nx', 'run', '@dpdk-hotplug/conformance:build', '--output-style=stream'], {
  cwd: root,
  stdio: ['ignore', 'ignore', 'inherit'],
});
if (build.status !== 0) process.exit(build.status ?? 1);
const cli = join(root, 'conformance', 'bin', 'certify.mjs');
// certify's stdin is a pipe from here: if this process is killed, even by SIGKILL, the pipe
// closes and certify stops its whole run (conformance/lib/common/parent-watch.ts).
const run = spawn(process.execPath, [cli, 'certify', ...process.argv.slice(2)], {
  cwd: root,
  stdio: ['pipe', 'inherit', 'inherit'],
  env: { ...process.env, DPDK_HOTPLUG_PARENT_PIPE: '1' },
});
// Ctrl-C reaches certify from the terminal too: wait for it to stop the run and print the
// verdicts, rather than return to the prompt under its output. SIGTERM is for us alone: pass it on.
process.on('SIGINT', () => {});
process.on('SIGTERM', () => run.kill('SIGTERM'));
run.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
