// DPDK's own rule on a plugin's folder, past the SDK's check, in a child process of
// drivers.test.ts: the real binding, with `-d PATH` appended to EAL's argv. Reports JSON on stderr.
// Usage: node plugin-child.mjs FILE_PREFIX PATH
import { dpdk } from '../../dist/binding.js';
import { Eal } from '../../dist/index.js';

const [prefix, path] = process.argv.slice(2);
const real = dpdk();
const binding = { ...real, ealInit: (argv) => real.ealInit([...argv, '-d', path]) };
const options = { noHuge: true, noPci: true, memoryMb: 64, noSharedConfig: true, filePrefix: prefix };
try {
  const eal = Eal.init({ ...options, logLevel: 'error', logEcho: false }, binding);
  eal.cleanup();
  process.stderr.write(`${JSON.stringify({ loaded: true })}\n`);
} catch (e) {
  process.stderr.write(`${JSON.stringify({ code: e.code, message: e.message })}\n`);
}
