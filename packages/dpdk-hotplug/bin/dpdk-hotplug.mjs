#!/usr/bin/env node
// `dpdk-hotplug <command>`: the one name to type (`npx dpdk-hotplug …`). The router and every
// command live in @dpdk-hotplug/cli and the packages it routes to.
let run;
try {
  ({ run } = await import('@dpdk-hotplug/cli'));
} catch (e) {
  // In a clone before `npm run build` there is no dist/ yet; an install missing the router is broken.
  console.error(
    `dpdk-hotplug: cannot load @dpdk-hotplug/cli: ${e.message}\n(in a clone: npm run build; an install: npm install dpdk-hotplug again)`,
  );
  process.exit(1);
}
process.exitCode = await run(process.argv.slice(2));
