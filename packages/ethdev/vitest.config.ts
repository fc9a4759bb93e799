import { defineConfig } from 'vitest/config';

// rte_eal_init runs once per process: every test file gets its own process (forks + isolate),
// and so its own EAL. Files run one at a time: DPDK vdevs such as tap and af_packet share the
// host's network namespace, and two cores are better spent on one EAL than on contention.
export default defineConfig({
  test: {
    include: ['lib/**/*.test.ts'],
    pool: 'forks',
    isolate: true,
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
