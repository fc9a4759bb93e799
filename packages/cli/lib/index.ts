/** @dpdk-hotplug/cli: the `dpdk-hotplug` command, routing each command to its package. */
export { COMMANDS, type Command, type CommandEntry } from './commands.js';
export { type RunIo, run, usage } from './run.js';
