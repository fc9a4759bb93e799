/**
 * The PMD libraries' driver records are scanned through one 1 MiB buffer (device-class.ts), not
 * read whole: records that a chunk's end cuts, or whose prefix it cuts, are still found. No DPDK:
 * synthetic libraries in a temporary PMD folder.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { driversToLoad } from './device-class.js';

const MIB = 1 << 20;
const dir = mkdtempSync(join(tmpdir(), 'dphp-scan-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const record = (name: string) =>
  Buffer.from(`PMD_INFO_STRING= {"name": "${name}", "params": "size=<int> copy=<int>"}\0`, 'latin1');

/** A library of `bytes` filler with `name`'s record at `at`. */
function library(file: string, bytes: number, at: number, name: string): void {
  const body = Buffer.alloc(bytes, 0x41);
  record(name).copy(body, at);
  writeFileSync(join(dir, file), body);
}

it('finds records cut by the 1 MiB chunk boundary, its prefix cut too, and ones far past it', () => {
  library('librte_net_cutrecord.so', 2 * MIB, MIB - 20, 'net_cutrecord');
  library('librte_net_cutprefix.so', 2 * MIB, MIB - 5, 'net_cutprefix');
  library('librte_net_second.so', 3 * MIB, 2 * MIB + 12345, 'net_second');
  library('librte_net_start.so', 100, 0, 'net_start');
  const found = driversToLoad(dir).map((d) => `${d.name}:${d.deviceClass}:${d.keys.join(',')}`);
  expect(found.sort()).toEqual([
    'net_cutprefix:net:size,copy',
    'net_cutrecord:net:size,copy',
    'net_second:net:size,copy',
    'net_start:net:size,copy',
  ]);
});
