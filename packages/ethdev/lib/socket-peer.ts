/**
 * What answers on a UNIX socket, asked before a PMD connects to it: DPDK's vhost-user client
 * (virtio_user) blocks in recv() for a peer that accepts and never answers — attachSync forever,
 * the async attach past its timeout with the EAL wedged. The question runs in a short-lived child
 * process, so that the synchronous attach can ask it with a deadline.
 */
import { spawnSync } from 'node:child_process';

/** How long a vhost-user peer has to answer VHOST_USER_GET_FEATURES. */
export const VHOST_USER_DEADLINE_MS = 2000;

export type PeerAnswer =
  /** Nothing listens (ECONNREFUSED, ENOENT): a stale socket file, or none. */
  | 'no-listener'
  /** Connected; no question asked. */
  | 'listening'
  /** Answered VHOST_USER_GET_FEATURES with a reply to it. */
  | 'vhost-user'
  /** Accepted, and did not answer within the deadline (or closed, or answered something else). */
  | 'silent'
  | 'not-a-socket';

// The child: connect; with "vhost", send the 12-byte header of VHOST_USER_GET_FEATURES (request 1,
// flags 0x1: version 1, size 0) and wait for a reply header (flags with 0x4, the reply bit, and
// request 1). Prints one word.
const CHILD = `
const net = require('node:net');
const [path, mode, ms] = process.argv.slice(1);
const say = (w) => { process.stdout.write(w); process.exit(0); };
const s = net.connect(path);
s.on('error', (e) => say(e.code === 'ECONNREFUSED' || e.code === 'ENOENT' ? 'no-listener' : e.code === 'ENOTSOCK' ? 'not-a-socket' : 'silent'));
s.on('connect', () => {
  if (mode !== 'vhost') say('listening');
  const h = Buffer.alloc(12); h.writeUInt32LE(1, 0); h.writeUInt32LE(1, 4); h.writeUInt32LE(0, 8);
  s.write(h);
  let got = Buffer.alloc(0);
  s.on('data', (b) => { got = Buffer.concat([got, b]); if (got.length >= 12) say(got.readUInt32LE(0) === 1 && (got.readUInt32LE(4) & 4) ? 'vhost-user' : 'silent'); });
  s.on('close', () => say('silent'));
  setTimeout(() => say('silent'), Number(ms));
});
`;

/** Who answers at `path`: connect only, or (`vhost`) a VHOST_USER_GET_FEATURES round trip. */
export function askPeer(
  path: string,
  mode: 'connect' | 'vhost',
  deadlineMs = VHOST_USER_DEADLINE_MS,
): PeerAnswer {
  const r = spawnSync(process.execPath, ['-e', CHILD, path, mode, String(deadlineMs)], {
    encoding: 'utf8',
    timeout: deadlineMs + 5000,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const word = r.stdout?.trim();
  return (
    (['no-listener', 'listening', 'vhost-user', 'silent', 'not-a-socket'] as const).find((w) => w === word) ??
    'silent'
  );
}
