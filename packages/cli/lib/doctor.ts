/**
 * `dpdk-hotplug doctor`: the command line over ethdev's diagnosis (`diagnose`, `doctorLines`).
 * It lives here, not in ethdev, because ethdev is a binding that depends on nothing in the
 * workspace, and every command's options go through packages/args.
 */
import {
  type CliIo,
  consoleIo,
  nonEmpty,
  parseCommandLine,
  runCommand,
  UsageError,
} from '@dpdk-hotplug/args';
import { diagnose, doctorLines } from '@dpdk-hotplug/ethdev/doctor';

const USAGE = `dpdk-hotplug doctor [--dpdk PREFIX|BUILD] [--json]
  which DPDK the SDK uses (version, prefix, libdir), its PMD folder, the native shim for it
  (prebuilt in the package, or built into ~/.cache/dpdk-hotplug), loads them, and what is missing.
  --dpdk: check the DPDK under that meson install prefix, or in that uninstalled meson build
  folder, instead of the one selected by DPDK_HOTPLUG_DPDK or pkg-config.
Exit code: 0 nothing needed is missing, 1 something is, 2 bad usage.`;

const OPTIONS = {
  dpdk: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** `dpdk-hotplug doctor`: exit 0 when nothing needed is missing, 1 when something is, 2 bad usage. */
export async function main(argv: readonly string[], io: CliIo = consoleIo()): Promise<number> {
  return runCommand('doctor', io, argv.includes('--json'), () => {
    const { values, positionals } = parseCommandLine(argv, OPTIONS);
    if (values.help) {
      io.out(USAGE);
      return 0;
    }
    if (positionals.length) throw new UsageError(`doctor takes no arguments, got ${positionals.join(' ')}`);
    const r = diagnose(values.dpdk === undefined ? undefined : nonEmpty('--dpdk', values.dpdk));
    if (values.json) io.out(JSON.stringify(r, null, 2));
    else for (const l of doctorLines(r)) io.out(l);
    return r.ok ? 0 : 1;
  });
}
