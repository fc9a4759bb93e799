import { defineConfig } from 'vitest/config';

// Unit tests of the suite's parts, and an end-to-end run of `dpdk-hotplug certify`.
export default defineConfig({
  test: {
    include: ['lib/**/*.test.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 180_000,
  },
});
