import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ProcessTimeline, sampleProcesses, shortCommand } from './process-timeline.js';

/**
 * The guest runner's process timeline on a fake /proc: processes written as the kernel shows
 * them (cmdline NUL-separated, stat with the command in parentheses), added and removed between
 * two looks.
 */

const folders: string[] = [];
afterEach(() => {
  for (const f of folders.splice(0)) rmSync(f, { recursive: true, force: true });
});

function fakeProc(): string {
  const proc = mkdtempSync(join(tmpdir(), 'fake-proc-'));
  folders.push(proc);
  mkdirSync(join(proc, 'self'));
  return proc;
}

/** A process as /proc shows it; `ticks` of user and of system time each. */
function addProcess(proc: string, pid: number, argv: string[], ticks: [number, number] = [0, 0]): void {
  mkdirSync(join(proc, String(pid)), { recursive: true });
  writeFileSync(join(proc, String(pid), 'cmdline'), argv.length ? `${argv.join('\0')}\0` : '');
  const name = (argv[0] ?? 'kthreadd').split('/').pop()!.slice(0, 15);
  // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime …
  writeFileSync(
    join(proc, String(pid), 'stat'),
    `${pid} (${name} x) S 1 1 1 0 -1 4194560 100 0 0 0 ${ticks[0]} ${ticks[1]} 0 0 20 0 1 0 500 0 0\n`,
  );
}

/** A thread of process `pid` as /proc/PID/task shows it, named `name`, with `ticks` of user time. */
function addThread(proc: string, pid: number, tid: number, name: string, ticks: number): void {
  mkdirSync(join(proc, String(pid), 'task', String(tid)), { recursive: true });
  writeFileSync(
    join(proc, String(pid), 'task', String(tid), 'stat'),
    `${tid} (${name}) S 1 1 1 0 -1 4194560 100 0 0 0 ${ticks} 0 0 0 20 0 1 0 500 0 0\n`,
  );
}

describe('the guest runner’s process timeline', () => {
  it('names a command by its program and, for node or a shell, its script', () => {
    expect(
      shortCommand(['/usr/bin/node', '/x/node_modules/@playwright/test/cli.js', 'test', '-c', 'c.js']),
    ).toBe('node cli.js test');
    expect(shortCommand(['/usr/bin/node', '--no-warnings', '/x/dist/processes/eal-child-run.js'])).toBe(
      'node eal-child-run.js',
    );
    expect(shortCommand(['/usr/bin/dpdk-testpmd', '-l', '0,1'])).toBe('dpdk-testpmd');
    expect(shortCommand(['node'])).toBe('node');
  });

  /**
   * Steps: a fake /proc with a kernel thread, a skipped pid, a node process with 150 + 50 ticks.
   * Verify: only the node process is sampled, its CPU time in seconds (ticks of 10 ms).
   */
  it('samples user-space processes with their CPU time', () => {
    const proc = fakeProc();
    addProcess(proc, 2, []);
    addProcess(proc, 7, ['/sbin/init']);
    addProcess(proc, 40, ['/usr/bin/node', '/a/cli.js', 'test'], [150, 50]);
    expect(sampleProcesses(proc, new Set([7]))).toEqual([{ pid: 40, command: 'node cli.js test', cpuS: 2 }]);
  });

  /**
   * Steps: look once (Playwright's runner), add a worker, look, remove the worker after more CPU
   * time, look again.
   * Verify: a start line per process, an end line for the worker with its CPU time, events in
   * order.
   */
  it('says when a process starts and ends, and its CPU time', () => {
    const proc = fakeProc();
    const lines: string[] = [];
    const timeline = new ProcessTimeline((l) => lines.push(l), proc, new Set());
    addProcess(proc, 40, ['/usr/bin/node', '/a/cli.js', 'test']);
    timeline.tick();
    addProcess(proc, 41, ['/usr/bin/node', '/a/playwright/lib/common/process.js']);
    timeline.tick();
    addProcess(proc, 41, ['/usr/bin/node', '/a/playwright/lib/common/process.js'], [300, 20]);
    timeline.tick();
    rmSync(join(proc, '41'), { recursive: true });
    timeline.tick();
    expect(lines.slice(0, 2)).toEqual(['+ 40 node cli.js test', '+ 41 node process.js']);
    expect(lines[2]).toMatch(/^- 41 node process\.js: \d+\.\d s, CPU 3\.2 s$/);
    expect(lines).toHaveLength(3);
    expect(timeline.events.map((e) => `${e.event} ${e.pid}`)).toEqual(['start 40', 'start 41', 'end 41']);
    expect(timeline.events[2]!.cpuS).toBe(3.2);
  });

  /**
   * Steps: a worker with five threads (its first and another named node, a V8 compiler thread,
   * DPDK's interrupt thread, an idle one), looked at, more CPU, looked at, gone.
   * Verify: its end line names its busiest threads from the last look, the first as `main`; the
   * idle one left out.
   */
  it('says which of a process’s threads used its CPU', () => {
    const proc = fakeProc();
    const lines: string[] = [];
    const timeline = new ProcessTimeline((l) => lines.push(l), proc, new Set());
    addProcess(proc, 50, ['/usr/bin/node', '/a/workerProcessEntry.js'], [900, 100]);
    addThread(proc, 50, 50, 'node', 100);
    timeline.tick();
    addThread(proc, 50, 50, 'node', 600);
    addThread(proc, 50, 51, 'node', 150);
    addThread(proc, 50, 52, 'V8 DefaultWork', 200);
    addThread(proc, 50, 53, 'eal-intr-thread', 50);
    addThread(proc, 50, 54, 'telemetry-v2', 0);
    timeline.tick();
    rmSync(join(proc, '50'), { recursive: true });
    timeline.tick();
    expect(lines[1]).toMatch(
      /^- 50 node workerProcessEntry\.js: \d+\.\d s, CPU 10\.0 s; threads: main 6\.0 s, V8 DefaultWork 2\.0 s, node 1\.5 s, eal-intr-thread 0\.5 s$/,
    );
  });
});
