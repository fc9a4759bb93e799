// Runs SDK calls one after another in a child process, for inputs that may crash or hang the
// process that runs them (hostile-devargs.test.ts). Reports one JSON line per step on stderr
// (stdout stays the PMDs', so a test sees what they printed).
// Usage: node steps-child.mjs FILE_PREFIX EAL_OPTIONS_JSON STEPS_JSON
// A step: [op, arg?, options?]; ops: attach, attachAsync, configure, start, startAsync (which
// writes "node line <n>" to stdout with console.log while it runs, and returns n), stop, close, detach,
// detachDevice, release, detachAsync, ports, cleanup, pmdOutput (the pmdOutput events so far), connect (to a socket),
// connectSeqpacket (a SOCK_SEQPACKET connection to an abstract socket, as a memif peer makes;
// through python3, as Node has none), threads (the names of the process's threads but the main one's, "node"), vmSizeKb.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
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
  release: (a, o) => eal.release(a, o),
  detachAsync: (a, o) => eal.detach(a, o),
  ports: () => eal.ports().map(portName),
  cleanup: () => eal.cleanup().map((e) => e.message),
  pmdOutput: () => printed,
  threads: () =>
    readdirSync('/proc/self/task')
      .map((t) => readFileSync(`/proc/self/task/${t}/comm`, 'utf8').trim())
      .filter((name) => name !== 'node')
      .sort(),
  vmSizeKb: () => Number(/VmSize:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]),
  connectSeqpacket: async (a) => {
    const py = `import socket,sys,time\ns=socket.socket(socket.AF_UNIX,socket.SOCK_SEQPACKET)\ntry:\n  s.connect('\\0'+sys.argv[1]); print('connected')\nexcept OSError as e: print(e.strerror)\nsys.stdout.flush(); time.sleep(0.3)`;
    const said = execFileSync('python3', ['-c', py, a], { encoding: 'utf8' }).trim();
    // The process's threads get a moment to see the connection.
    await new Promise((resolve) => setTimeout(resolve, 100));
    return said;
  },
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
