#!/usr/bin/env node
// `dpdk-hotplug <command>`: the one name to type (`npx dpdk-hotplug …`). The router and every
// command live in @dpdk-hotplug/cli and the packages it routes to.
import { run } from '@dpdk-hotplug/cli';

process.exitCode = await run(process.argv.slice(2));
