#!/usr/bin/env node
// Run at pack time after build-shim.mjs --prebuild: lists the prebuilt shims the tarball will
// carry (prebuilds/<platform>/dpdk-abi<ABI>/, the host's and any the release matrix copied in:
// `node tools/matrix/cli.mjs prebuilds`) and refuses one built from another native/shim.c,
// which the binding would never load (it would build into the user's cache instead).
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const prebuilds = join(pkg, 'prebuilds');
const source = createHash('sha256')
  .update(readFileSync(join(pkg, 'native', 'shim.c')))
  .digest('hex');
const stale = [];
const found = [];
for (const platform of existsSync(prebuilds) ? readdirSync(prebuilds) : [])
  for (const abi of readdirSync(join(prebuilds, platform))) {
    const dir = join(prebuilds, platform, abi);
    const stamp = JSON.parse(readFileSync(join(dir, 'shim.json'), 'utf8'));
    if (!existsSync(join(dir, 'libdphp_shim.so')) || stamp.source !== source)
      stale.push(`${platform}/${abi}`);
    else found.push(`${platform}/${abi} (DPDK ${stamp.dpdk})`);
  }
if (stale.length) {
  console.error(
    `check-prebuilds: built from another native/shim.c, or incomplete: ${stale.join(', ')}: rebuild them (\`node tools/matrix/cli.mjs prebuilds\`) or delete them`,
  );
  process.exit(1);
}
if (found.length === 0) {
  console.error('check-prebuilds: no prebuilt shim: run node scripts/build-shim.mjs --prebuild');
  process.exit(1);
}
console.error(`check-prebuilds: the package carries prebuilt shims for ${found.join(', ')}`);
