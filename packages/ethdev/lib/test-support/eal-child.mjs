// An EAL in a child process for runtime-dir.test.ts: init with the options given as JSON,
// attach and detach net_null0, clean up; reports JSON on stderr (stdout must stay the caller's).
// Usage: node eal-child.mjs OPTIONS_JSON [exit]   (exit: end the process after attach, no cleanup)
import { existsSync } from 'node:fs';
import { Eal } from '../../dist/index.js';

const report = (value) => process.stderr.write(`${JSON.stringify(value)}\n`);
let eal;
try {
  eal = Eal.init(JSON.parse(process.argv[2]));
} catch (e) {
  report({ code: e.code, message: e.message, dpdkLog: e.dpdkLog });
  process.exit(0);
}
const i = eal.args.indexOf('--file-prefix');
const prefix = i < 0 ? undefined : eal.args[i + 1];
const port = eal.attachSync('net_null0');
eal.close(port);
eal.detachSync(port);
if (process.argv[3] === 'exit') {
  report({ prefix });
  process.exit(0);
}
const dir = `/var/run/dpdk/${prefix ?? 'rte'}`;
const before = existsSync(dir);
eal.cleanup();
report({ prefix, dir, before, after: existsSync(dir) });
