// The fuzzer's child: runs a batch of inputs through the SDK (the built package, ../dist) inside
// sandbox.sh (private mount and network namespaces). Reads its batch as JSON on stdin and reports
// JSON lines on fd 3: `ready`, then `start`/`done` per input, then `end` (or `spent` when the
// process cannot take more inputs). A crash or a hang shows as a `start` without its `done`.
//
// Devargs batches: one Eal.init, then per input parseDevargs, attachSync, close, detachSync, and
// the leftovers: ports, netdevs (/sys/class/net of its netns), fds, files outside its tmp folder.
// Options batches: Eal.init(options) per input; a refusal leaves the process clean, anything that
// reached DPDK spends it (rte_eal_init runs once per process).
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Eal, HotplugError, parseDevargs } from '../dist/index.js';

const OUT = 3;
const send = (msg) => writeSync(OUT, `${JSON.stringify(msg)}\n`);

const batch = JSON.parse(readFileSync(0, 'utf8'));
// sandbox.sh put a private tmpfs on /tmp: this folder is this child's alone.
const TMP = '/tmp/fz';
mkdirSync(TMP, { recursive: true });
process.chdir(TMP);
const PCAP = join(TMP, 'in.pcap');
const FILE = join(TMP, 'precious');
const FIFO = join(TMP, 'fifo');
// A pcap file (microsecond magic, Ethernet) with one 60-byte frame.
const header = Buffer.from('d4c3b2a1020004000000000000000000ffff000001000000', 'hex');
const record = Buffer.alloc(16);
record.writeUInt32LE(60, 8);
record.writeUInt32LE(60, 12);
writeFileSync(PCAP, Buffer.concat([header, record, Buffer.alloc(60, 0xff)]));
writeFileSync(FILE, 'precious data, not a capture');
execFileSync('mkfifo', [FIFO]);
writeFileSync(join(TMP, 'firmware.cli'), '# an empty softnic firmware\n');
// Outside the devargs paths (the child's EAL allows TMP only): nothing may appear or go there.
const OUTSIDE = '/tmp/fz-outside';
mkdirSync(OUTSIDE, { recursive: true });
const KEEP = join(OUTSIDE, 'keep');
writeFileSync(KEEP, 'precious data outside');
const LINK_OUT = join(TMP, 'link-out');
const DANGLING = join(TMP, 'dangling');
symlinkSync(KEEP, LINK_OUT);
symlinkSync(join(OUTSIDE, 'made-through-a-link.pcap'), DANGLING);
// Sockets: one that accepts and never answers (this process never runs its event loop during a
// batch, so the kernel accepts and no one reads), one another process left behind (no listener).
const SILENT = join(TMP, 'silent.sock');
const LIVE = join(OUTSIDE, 'live.sock');
const DEAD = join(TMP, 'dead.sock');
// unref: they must not keep the child alive after its batch.
for (const path of [SILENT, LIVE])
  createServer(() => {})
    .listen(path)
    .unref();
execFileSync('/usr/bin/python3', [
  '-c',
  `import socket; socket.socket(socket.AF_UNIX).bind(${JSON.stringify(DEAD)})`,
]);
/** Files that must stay (an input that deletes one is a finding). */
const FIXTURES = [PCAP, FILE, FIFO, KEEP, LINK_OUT, DANGLING, DEAD];
// DPDK's parent runtime folder, as on any machine where DPDK ran once: not a leftover of an input.
mkdirSync('/run/dpdk', { recursive: true, mode: 0o700 });

const expand = (s) =>
  s
    .replaceAll('{tmp}', TMP)
    .replaceAll('{pcap}', PCAP)
    .replaceAll('{file}', FILE)
    .replaceAll('{fifo}', FIFO)
    .replaceAll('{silent}', SILENT)
    .replaceAll('{live}', LIVE)
    .replaceAll('{dead}', DEAD)
    .replaceAll('{outside}', OUTSIDE)
    .replaceAll('{link-out}', LINK_OUT)
    .replaceAll('{dangling}', DANGLING);

/** What a call threw: a HotplugError's code (and errno, key), or another exception's type. */
function classify(stage, e) {
  if (e instanceof HotplugError) {
    const refused = e.code.startsWith('INVALID_');
    return { kind: refused ? 'refused' : 'error', stage, code: e.code, errno: e.errno, key: e.key };
  }
  const type = e?.constructor?.name ?? typeof e;
  return { kind: 'exception', stage, type, message: String(e?.message ?? e).slice(0, 300) };
}

// ------------------------------------------------------------------ leftovers

const fdCount = () => readdirSync('/proc/self/fd').length;
const fdTargets = () => {
  const out = new Map();
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      out.set(fd, readlinkSync(`/proc/self/fd/${fd}`));
    } catch {}
  }
  return out;
};
const netdevs = () => readdirSync('/sys/class/net').sort();

/**
 * Every path under the places a PMD could write in the sandbox, but this child's tmp folder. A
 * folder mounted inside one (the checkout, bound back read-only when it lives in /tmp) is listed
 * but not walked: nothing can be written there, and walking node_modules made each input slow.
 */
function files() {
  const seen = [];
  const walk = (dir, depth, dev = lstatSync(dir).dev) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const path = join(dir, e.name);
      if (path === TMP) continue;
      seen.push(path);
      if (e.isDirectory() && depth < 6 && lstatSync(path).dev === dev) walk(path, depth + 1, dev);
    }
  };
  for (const root of ['/tmp', '/run', '/dev/shm']) walk(root, 0);
  // The root folder itself is not remounted: a file made there would show here.
  for (const name of readdirSync('/')) seen.push(`/${name}`);
  return new Set(seen);
}

function isLink(path) {
  try {
    readlinkSync(path);
    return true;
  } catch {
    return false;
  }
}

function snapshot(eal) {
  return { ports: eal ? eal.ports().length : 0, netdevs: netdevs(), fds: fdCount(), files: files() };
}

function leftovers(before, after, fdsBefore) {
  const out = [];
  if (after.ports > before.ports) out.push({ what: 'ports', count: after.ports - before.ports });
  const newNetdevs = after.netdevs.filter((n) => !before.netdevs.includes(n));
  if (newNetdevs.length) out.push({ what: 'netdevs', names: newNetdevs });
  if (after.fds > before.fds) {
    // Only descriptors that are new (by number and target): a count alone also catches one that
    // another thread held open for an instant while the count was taken.
    const added = [...fdTargets()]
      .filter(([fd, t]) => fdsBefore.get(fd) !== t && !t.startsWith('/proc/'))
      .map(([fd, t]) => `${fd} -> ${t}`);
    if (added.length > 0) out.push({ what: 'fds', count: added.length, targets: added });
  }
  const newFiles = [...after.files].filter((f) => !before.files.has(f));
  if (newFiles.length) out.push({ what: 'files', paths: newFiles.slice(0, 20) });
  const gone = FIXTURES.filter((f) => !existsSync(f) && !isLink(f));
  if (gone.length) out.push({ what: 'deleted', paths: gone });
  if (readFileSync(KEEP, 'utf8') !== 'precious data outside')
    out.push({ what: 'deleted', paths: [`${KEEP} (content)`] });
  return out;
}

// ------------------------------------------------------------------ devargs

function runDevargs() {
  let eal;
  try {
    eal = Eal.init({
      noHuge: true,
      noPci: true,
      noSharedConfig: true,
      memoryMb: 128,
      filePrefix: batch.prefix,
      logLevel: 'emergency',
      logEcho: false,
      devargsPaths: [TMP],
    });
  } catch (e) {
    send({ t: 'init-failed', error: classify('init', e), message: String(e?.message) });
    process.exit(1);
  }
  send({ t: 'ready', fds: fdCount(), netdevs: netdevs().length });
  for (const input of batch.inputs) {
    send({ t: 'start', i: input.index });
    const devargs = expand(input.devargs);
    const before = snapshot(eal);
    const fdsBefore = fdTargets();
    let outcome;
    let name;
    try {
      name = parseDevargs(devargs).name;
    } catch (e) {
      outcome = classify('parse', e);
    }
    if (!outcome) {
      let port;
      try {
        port = eal.attachSync(devargs);
        outcome = { kind: 'attached' };
      } catch (e) {
        // Probed with no port: the SDK removes it again (checked below: nothing may be left).
        outcome = classify('attach', e);
      }
      if (port !== undefined) {
        try {
          for (const p of [port, ...eal.portsOf(name).filter((p) => p !== port)]) eal.close(p);
        } catch (e) {
          outcome.close = classify('close', e);
        }
        try {
          eal.detachSync(port);
        } catch (e) {
          outcome.detach = classify('detach', e);
          try {
            eal.detachDeviceSync(name, { force: true });
          } catch (e2) {
            outcome.forceDetach = classify('detach', e2);
          }
        }
      }
    }
    const left = leftovers(before, snapshot(eal), fdsBefore);
    // A device still attached (with or without ports): detaching it by name must find nothing.
    if (name !== undefined && outcome.code !== 'ALREADY_ATTACHED') {
      try {
        eal.detachDeviceSync(name, { force: true });
        left.push({ what: 'devices', names: [name] });
      } catch (e) {
        if (e?.code !== 'DEVICE_NOT_FOUND') left.push({ what: 'devices', names: [name], error: e?.code });
      }
    }
    send({ t: 'done', i: input.index, outcome, leftovers: left });
    // What is left would blur the next inputs' results: a fresh child takes the rest.
    if (left.length > 0) {
      send({ t: 'spent', why: 'leftovers' });
      process.exit(0);
    }
  }
  eal.cleanup();
  send({ t: 'end' });
}

// ------------------------------------------------------------------ options

/** The value a recipe describes (see OptionValue in generator.ts). */
function build(v) {
  switch (v.t) {
    case 'json':
      return v.v;
    case 'number':
      return Number(v.v === '-0' ? -0 : v.v);
    case 'undefined':
      return undefined;
    case 'bigint':
      return BigInt(v.v);
    case 'symbol':
      return Symbol('fuzz');
    case 'function':
      return () => true;
    case 'date':
      return new Date(0);
    case 'devargs':
      return v.v.map(expand);
    default:
      return undefined;
  }
}

function options(recipe) {
  const o = recipe.shape === 'null-prototype' ? Object.create(null) : {};
  const entries = [...recipe.entries];
  if (!entries.some(([k]) => k === 'filePrefix'))
    entries.push(['filePrefix', { t: 'json', v: batch.prefix }]);
  for (const [key, v] of entries) {
    // defineProperty makes `__proto__` an own key, as JSON.parse would; a getter is an own accessor.
    if (v.t === 'getter') {
      const value = build(v.v);
      Object.defineProperty(o, key, { get: () => value, enumerable: true, configurable: true });
    } else
      Object.defineProperty(o, key, {
        value: build(v),
        enumerable: true,
        writable: true,
        configurable: true,
      });
  }
  switch (recipe.shape) {
    case 'frozen':
      return Object.freeze(o);
    case 'proxy':
      return new Proxy(o, {});
    case 'class':
      return Object.assign(new (class Options {})(), o);
    case 'array':
      return Object.assign([], o);
    case 'null':
      return null;
    case 'string':
      return JSON.stringify(o);
    case 'number':
      return 64;
    default:
      return o;
  }
}

const PROTO_BEFORE = Object.getOwnPropertyNames(Object.prototype).sort().join();

function runOptions() {
  send({ t: 'ready', fds: fdCount(), netdevs: netdevs().length });
  for (const input of batch.inputs) {
    send({ t: 'start', i: input.index });
    const before = snapshot(undefined);
    const fdsBefore = fdTargets();
    let outcome;
    let eal;
    try {
      eal = Eal.init(options(input.recipe));
      outcome = { kind: 'accepted', ports: eal.ports().length };
    } catch (e) {
      outcome = classify('init', e);
    }
    const cleanupErrors = eal ? eal.cleanup().map((e) => e.code) : [];
    if (cleanupErrors.length) outcome.cleanup = cleanupErrors;
    const after = snapshot(undefined);
    // DPDK keeps what an init made (threads, fds) after cleanup: only files and the prototype count.
    const left = leftovers(before, after, fdsBefore).filter(
      (l) => l.what === 'files' || l.what === 'netdevs',
    );
    if (
      Object.getOwnPropertyNames(Object.prototype).sort().join() !== PROTO_BEFORE ||
      {}.noHuge !== undefined
    ) {
      left.push({ what: 'prototype', keys: Object.getOwnPropertyNames(Object.prototype) });
    }
    send({ t: 'done', i: input.index, outcome, leftovers: left });
    // Past the option checks, DPDK was loaded or initialized: this process cannot init again.
    if (outcome.kind !== 'refused' || left.length > 0) {
      send({ t: 'spent', why: outcome.kind });
      process.exit(0);
    }
  }
  send({ t: 'end' });
}

if (batch.mode === 'options') runOptions();
else runDevargs();
