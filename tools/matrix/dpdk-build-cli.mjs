// `node tools/matrix/cli.mjs dpdk-build (--tree DIR | --tag TAG [--git DIR] | --tarball FILE)
//     [--cache DIR] [--force] [--jobs N] [--drivers LIST] [--apps LIST] [--json]`
// --drivers and --apps make a reduced build (certify --bisect): `--apps ''` builds no app.
// Builds a DPDK source tree into <cache>/dpdk/<version>-<hash>/{build,prefix} (or reuses it) and
// prints the prefix: `DPDK_HOTPLUG_DPDK=$(node tools/matrix/cli.mjs dpdk-build --tag v23.11.7)`.
// `dpdk-build --list` prints the cached builds. Exit 2 on a usage error, 1 when the build fails.
import { parseArgs } from 'node:util';
import { buildDpdk, cachedBuilds, DPDK_CACHE, isDir } from './dpdk-build.mjs';

const USAGE =
  'dpdk-build (--tree DIR | --tag TAG [--git DIR] | --tarball FILE) [--cache DIR] [--force] [--jobs N] [--drivers LIST] [--apps LIST] [--json] | --list';

function usage(message) {
  process.stderr.write(`dpdk-hotplug matrix dpdk-build: ${message} (usage: ${USAGE})\n`);
  process.exit(2);
}

/** A comma-separated list; '' is the empty list. */
const list = (value) => value.split(',').filter((v) => v !== '');

export function dpdkBuildMain(argv) {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        tree: { type: 'string' },
        tag: { type: 'string' },
        git: { type: 'string', default: process.env.DPDK_HOTPLUG_DPDK_GIT },
        tarball: { type: 'string' },
        cache: { type: 'string', default: DPDK_CACHE },
        force: { type: 'boolean', default: false },
        jobs: { type: 'string' },
        drivers: { type: 'string' },
        apps: { type: 'string' },
        json: { type: 'boolean', default: false },
        list: { type: 'boolean', default: false },
      },
    }));
  } catch (e) {
    usage(e.message);
  }
  if (values.list) {
    for (const b of cachedBuilds(values.cache))
      console.log(`${b.version}\t${b.commit.slice(0, 12)}\t${b.prefix}\t${b.source}`);
    return 0;
  }
  const given = ['tree', 'tag', 'tarball'].filter((k) => values[k] !== undefined);
  if (given.length !== 1) usage(`give exactly one of --tree, --tag, --tarball (got ${given.length})`);
  if (values.tree !== undefined && !isDir(values.tree)) usage(`--tree ${values.tree}: no such directory`);
  if (values.tag !== undefined && !values.git)
    usage('--tag needs --git DIR (a DPDK git directory) or DPDK_HOTPLUG_DPDK_GIT');
  if (values.jobs !== undefined && !/^[1-9]\d{0,2}$/.test(values.jobs))
    usage(`--jobs ${values.jobs}: a number 1–999`);
  const log = (m) => process.stderr.write(`[dpdk-build] ${m}\n`);
  try {
    const stamp = buildDpdk(
      { tree: values.tree, tag: values.tag, git: values.git, tarball: values.tarball },
      {
        cache: values.cache,
        force: values.force,
        log,
        jobs: values.jobs && Number(values.jobs),
        ...(values.drivers !== undefined ? { drivers: list(values.drivers) } : {}),
        ...(values.apps !== undefined ? { apps: list(values.apps) } : {}),
      },
    );
    log(
      `DPDK ${stamp.version} (${stamp.commit.slice(0, 12)}): setup ${stamp.seconds.setup} s, ninja ${stamp.seconds.ninja} s, install ${stamp.seconds.install} s; prefix ${(stamp.bytes.prefix / 1e6).toFixed(1)} MB, build ${(stamp.bytes.build / 1e6).toFixed(1)} MB`,
    );
    console.log(values.json ? JSON.stringify(stamp, null, 2) : stamp.prefix);
    return 0;
  } catch (e) {
    process.stderr.write(`dpdk-hotplug matrix dpdk-build: ${e.message}\n`);
    return 1;
  }
}
