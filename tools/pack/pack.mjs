#!/usr/bin/env node
// Packs every published package of the workspace (the ones not "private") into one folder, as
// `npm publish` would pack them (prepack included: ethdev's prebuilt shim for this host's DPDK).
// Usage: node tools/pack/pack.mjs DIR   → prints one JSON line per tarball: name, file, size, files
// The packed-install test (packed-install.test.mjs) and the README's table of tarballs use it.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../..', import.meta.url));

/** The workspaces npm would publish: every one without "private": true. */
export function publishedWorkspaces() {
  const { workspaces } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const dirs = execFileSync('npm', ['query', '.workspace', '--json'], { cwd: root, encoding: 'utf8' });
  const found = JSON.parse(dirs)
    .filter((w) => !w.private)
    .map((w) => ({ name: w.name, dir: w.location }));
  if (found.length === 0) throw new Error(`no published workspace in ${workspaces.join(', ')}`);
  return found;
}

/** Packs them all into `dest` with one npm call; returns each tarball's name, file, size, files. */
export function packAll(destination) {
  const dest = resolve(destination);
  const args = ['pack', '--pack-destination', dest, '--json', '--no-fund', '--no-audit'];
  for (const w of publishedWorkspaces()) args.push('--workspace', w.dir);
  const out = execFileSync('npm', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return JSON.parse(out).map((p) => ({
    name: p.name,
    file: join(dest, p.filename),
    size: p.size,
    unpackedSize: p.unpackedSize,
    files: p.files.map((f) => f.path),
  }));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dest = process.argv[2];
  if (!dest) {
    console.error('usage: pack.mjs DIR');
    process.exit(2);
  }
  for (const t of packAll(dest)) console.log(JSON.stringify(t));
}
