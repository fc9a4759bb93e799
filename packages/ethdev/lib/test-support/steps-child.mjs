// Runs SDK calls one after another in a child process, for inputs that may crash or hang the
// process that runs them (hostile-devargs.test.ts). Reports one JSON line per step on stderr
// (stdout stays the PMDs', so a test sees what they printed).
// Usage: node steps-child.mjs FILE_PREFIX EAL_OPTIONS_JSON STEPS_JSON
// A step: [op, arg?, options?]; ops: attach, attachAsync, configure, start, startAsync (which
// writes "node line <n>" to stdout with console.log while it runs, and returns n), stop, close, detach,
// detachDevice, ports, cleanup, pmdOutput (the pmdOutput events so far), connect (to a socket).
import { connect } from 'node:net';
import { Eal } from '../../dist/index.js';

const [prefix, options, steps] = process.argv.slice(2);
const report = (value) => process.stderr.write(`STEP ${JSON.stringify(value)}\n`);
let eal;
try {
  eal = Eal.init({
    noHuge: true,
    noPci: true,
    memoryMb: 128,
    noSharedConfig: true,
    filePrefix: prefix,
    logLevel: 'error',
    logEcho: false,
    ...JSON.parse(options),
  });
} catch (e) {
  report({ op: 'init', code: e.code ?? String(e), key: e.key, message: e.message });
  process.exit(0);
}
const portName = (p) => `${p.name}@${p.device}`;
const printed = [];
eal.on('pmdOutput', (e) => printed.push(e));
const calls = {
  attach: (a, o) => eal.attachSync(a, o),
  attachAsync: (a, o) => eal.attach(a, o),
  configure: (a) => eal.configure(a),
  start: (a) => eal.start(a),
  startAsync: async (a, o) => {
    const started = eal.startAsync(a, o);
    let n = 0;
    const timer = setInterval(() => console.log(`node line ${n++}`), 0);
    try {
      await started;
    } finally {
      clearInterval(timer);
    }
    return n;
  },
  stop: (a) => eal.stop(a),
  close: (a) => eal.close(a),
  detach: (a, o) => eal.detachSync(a, o),
  detachDevice: (a, o) => eal.detachDeviceSync(a, o),
  ports: () => eal.ports().map(portName),
  cleanup: () => eal.cleanup().map((e) => e.message),
  pmdOutput: () => printed,
  // Connects to a UNIX socket (a leading "@": the abstract namespace) and waits 300 ms.
  connect: (a) =>
    new Promise((resolve) => {
      const s = connect(a.startsWith('@') ? `\0${a.slice(1)}` : a);
      s.on('error', (e) => resolve(e.code));
      setTimeout(() => {
        s.destroy();
        resolve('waited');
      }, 300);
    }),
};
for (const [op, arg, opts] of JSON.parse(steps)) {
  const started = Date.now();
  try {
    const value = await calls[op](arg, opts);
    report({ op, value: value ?? null, ms: Date.now() - started });
  } catch (e) {
    report({ op, code: e.code ?? String(e), key: e.key, message: e.message, ms: Date.now() - started });
  }
}
process.exit(0);
