import { defineConfig } from 'vitest/config';

// Unit tests of the suite's parts, and an end-to-end run of `dpdk-hotplug certify`.
export default defineConfig({
  test: {
    include: ['lib/**/*.test.ts'],
    pool: 'forks',
    fileParallelism: false,
    // A hook's clean-up (a report folder's removal) took over 10 s at a load of 28 on 2 cores.
    hookTimeout: 60_000,
    testTimeout: 180_000,
  },
});
