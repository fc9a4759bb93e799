import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { LabError } from '../errors.js';

/**
 * Requests from the guest to the host through files in the shared run folder: the guest writes
 * `req-N.json` (atomically, by rename), the host answers `res-N.json`. Plain files over 9p need no
 * network, no virtio-serial and no agent protocol, and a transcript stays behind for debugging.
 */
export type Request =
  | { op: 'plug'; model: string; slot?: number }
  | { op: 'unplug'; id: string }
  | { op: 'wait-deleted'; id: string; timeoutMs?: number }
  | { op: 'plugged' };

export type Response = { ok: true; value?: unknown } | { ok: false; error: string; code?: string };

const dirOf = (runDir: string) => join(runDir, 'mbox');

/** Guest side: send a request and wait for its answer. */
export async function call<T = unknown>(runDir: string, request: Request, timeoutMs = 30_000): Promise<T> {
  const dir = dirOf(runDir);
  mkdirSync(dir, { recursive: true });
  const n = `${Date.now()}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  writeFileSync(join(dir, `.req-${n}.tmp`), JSON.stringify(request));
  renameSync(join(dir, `.req-${n}.tmp`), join(dir, `req-${n}.json`));
  const res = join(dir, `res-${n}.json`);
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(res)) {
    if (Date.now() > deadline)
      throw new LabError('TIMEOUT', `the host did not answer ${request.op} within ${timeoutMs} ms`);
    await sleep(25);
  }
  const answer = JSON.parse(readFileSync(res, 'utf8')) as Response;
  if (!answer.ok) throw new LabError('QMP_ERROR', `${request.op} failed on the host: ${answer.error}`);
  return answer.value as T;
}

/** Host side: answers requests until `stop()` is called. */
export function serve(runDir: string, handle: (r: Request) => Promise<unknown>): { stop(): Promise<void> } {
  const dir = dirOf(runDir);
  mkdirSync(dir, { recursive: true });
  const answered = new Set<string>();
  let running = true;
  const loop = (async () => {
    while (running) {
      for (const f of readdirSync(dir)) {
        const m = /^req-(.+)\.json$/.exec(f);
        if (!m || answered.has(m[1]!)) continue;
        answered.add(m[1]!);
        let answer: Response;
        try {
          const req = JSON.parse(readFileSync(join(dir, f), 'utf8')) as Request;
          answer = { ok: true, value: await handle(req) };
        } catch (e) {
          answer = { ok: false, error: (e as Error).message, code: (e as { code?: string }).code };
        }
        writeFileSync(join(dir, `.res-${m[1]}.tmp`), JSON.stringify(answer));
        renameSync(join(dir, `.res-${m[1]}.tmp`), join(dir, `res-${m[1]}.json`));
      }
      await sleep(25);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
    },
  };
}

export function clearMailbox(runDir: string): void {
  rmSync(dirOf(runDir), { recursive: true, force: true });
}
