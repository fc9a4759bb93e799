#!/usr/bin/env node
// Builds native/shim.c against the installed DPDK (pkg-config libdpdk) into build/libdphp_shim.so.
// Rebuilt only when the source or the DPDK version changed.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(pkg, 'native', 'shim.c');
const out = join(pkg, 'build', 'libdphp_shim.so');
const stamp = join(pkg, 'build', 'shim.stamp');

const pc = (...args) => execFileSync('pkg-config', [...args, 'libdpdk'], { encoding: 'utf8' }).trim();
let version;
try {
  version = pc('--modversion');
} catch {
  console.error('libdpdk not found by pkg-config: run `npm run setup` (installs DPDK 22.11 from Debian).');
  process.exit(1);
}
const key = `${version} ${statSync(src).mtimeMs}`;
if (existsSync(out) && existsSync(stamp) && readFileSync(stamp, 'utf8') === key) process.exit(0);
mkdirSync(dirname(out), { recursive: true });
const args = ['-O2', '-g', '-Wall', '-Wextra', '-Werror', '-shared', '-fPIC', '-o', out, src];
execFileSync('cc', [...args, ...pc('--cflags').split(/\s+/), ...pc('--libs').split(/\s+/)].filter(Boolean), {
  stdio: 'inherit',
});
writeFileSync(stamp, key);
console.log(`built ${out} against DPDK ${version}`);
