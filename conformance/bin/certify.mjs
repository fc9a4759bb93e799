#!/usr/bin/env node
// The suite's own entry point (`certify.mjs certify [options]`), used by its tests and by
// `npm run certify`. Users run the same code as `dpdk-hotplug certify` from @dpdk-hotplug/cli.
import { certify } from '../dist/plan/cli.js';

process.exitCode = await certify(process.argv.slice(2));
