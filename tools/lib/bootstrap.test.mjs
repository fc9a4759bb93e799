// The set-up installs what a job needs and keeps the machine's defaults: apt-get and
// update-alternatives are fakes on PATH here (the real ones would change this machine).
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { aptInstall, ensureBackport, GROUPS, JOBS, packagesOf } from '../bootstrap.mjs';

test('certify installs DPDK and the compiler only; the lab and the browser come with their jobs', () => {
  const certify = packagesOf('certify');
  for (const p of ['dpdk', 'libdpdk-dev', 'gcc', 'pkg-config']) assert.ok(certify.includes(p), p);
  for (const p of ['qemu-system-x86', 'busybox-static', 'chromium', 'udev'])
    assert.ok(!certify.includes(p), `${p} is not certify's`);
  assert.ok(packagesOf('lab').includes('qemu-system-x86'));
  assert.ok(!packagesOf('lab').includes('chromium'));
  for (const p of ['qemu-system-x86', 'chromium', 'python3-pyelftools'])
    assert.ok(packagesOf('test').includes(p));
  assert.ok(packagesOf('matrix').includes('debootstrap'), 'the matrix makes root filesystems');
  assert.ok(!certify.includes('debootstrap'), 'certify makes none');
  assert.deepEqual(Object.keys(JOBS).sort(), ['bench', 'certify', 'lab', 'matrix', 'test']);
});

test('an install that makes itself the default browser leaves the defaults as they were', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dphp-bootstrap-'));
  const state = join(dir, 'alternatives');
  const log = join(dir, 'apt.log');
  const before = 'editor manual /usr/bin/vim.basic\npager auto /usr/bin/less\n';
  writeFileSync(state, before);
  // update-alternatives: --get-selections, --auto, --set, --remove-all on a state file.
  const alt = `#!/bin/sh
s=${state}
case "$1" in
  --get-selections) cat "$s" ;;
  --auto) awk -v n="$2" '$1 == n { $2 = "auto" } { print }' "$s" > "$s.new" && mv "$s.new" "$s" ;;
  --set) awk -v n="$2" -v p="$3" '$1 == n { $2 = "manual"; $3 = p } { print }' "$s" > "$s.new" && mv "$s.new" "$s" ;;
  --remove-all) awk -v n="$2" '$1 != n' "$s" > "$s.new" && mv "$s.new" "$s" ;;
esac
`;
  // apt-get install, as Chromium's postinst: a new x-www-browser, and an existing group taken over.
  const apt = `#!/bin/sh
echo "$@" >> ${log}
[ "$1" = update ] && exit 0
echo "x-www-browser auto /usr/bin/chromium" >> ${state}
echo "libblas.so.3-x86_64-linux-gnu auto /usr/lib/x86_64-linux-gnu/blas/libblas.so.3" >> ${state}
awk '$1 == "editor" { $2 = "auto"; $3 = "/usr/bin/chromium-editor" } { print }' ${state} > ${state}.new && mv ${state}.new ${state}
`;
  for (const [name, text] of [
    ['update-alternatives', alt],
    ['apt-get', apt],
  ]) {
    writeFileSync(join(dir, name), text);
    chmodSync(join(dir, name), 0o755);
  }
  const path = process.env.PATH;
  process.env.PATH = `${dir}:${path}`;
  try {
    assert.equal(aptInstall(['chromium'], ['x-www-browser', 'gnome-www-browser']), true);
  } finally {
    process.env.PATH = path;
  }
  try {
    // The browser default is gone again, the takeover undone; a library's new group stays.
    assert.equal(
      readFileSync(state, 'utf8'),
      `${before}libblas.so.3-x86_64-linux-gnu auto /usr/lib/x86_64-linux-gnu/blas/libblas.so.3\n`,
    );
    assert.match(readFileSync(log, 'utf8'), /^install -y -qq --no-install-recommends chromium$/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('QEMU older than 8: the backports source is added once and QEMU installed from it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dphp-bootstrap-'));
  const log = join(dir, 'apt.log');
  const version = join(dir, 'qemu-version');
  writeFileSync(version, '7.2.22');
  writeFileSync(join(dir, 'os-release'), 'ID=debian\nVERSION_CODENAME=bookworm\n');
  const fakes = {
    // QEMU prints the version in a state file; apt-get's install from backports raises it.
    'qemu-system-x86_64': `#!/bin/sh\necho "QEMU emulator version $(cat ${version}) (Debian)"\n`,
    'apt-get': `#!/bin/sh\necho "$@" >> ${log}\ncase "$*" in *"-t bookworm-backports qemu-system-x86"*) echo 10.0.2 > ${version} ;; esac\nexit 0\n`,
    'update-alternatives': '#!/bin/sh\nexit 0\n',
  };
  for (const [name, text] of Object.entries(fakes)) {
    writeFileSync(join(dir, name), text);
    chmodSync(join(dir, name), 0o755);
  }
  const source = join(dir, 'backports.sources');
  const path = process.env.PATH;
  process.env.PATH = `${dir}:${path}`;
  try {
    const opts = { source, osRelease: join(dir, 'os-release') };
    assert.equal(ensureBackport(GROUPS.lab.newer, opts), true);
    assert.match(readFileSync(source, 'utf8'), /^Suites: bookworm-backports$/m);
    assert.match(
      readFileSync(log, 'utf8'),
      /^update -qq\ninstall -y -qq --no-install-recommends -t bookworm-backports qemu-system-x86$/m,
    );
    // QEMU 10 now: nothing more is installed.
    assert.equal(ensureBackport(GROUPS.lab.newer, opts), true);
    assert.equal(readFileSync(log, 'utf8').match(/^install /gm)?.length, 1);
  } finally {
    process.env.PATH = path;
    rmSync(dir, { recursive: true, force: true });
  }
});
