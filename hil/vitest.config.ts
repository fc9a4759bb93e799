import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['lib/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    // The smoke run boots a QEMU guest: keep it the only heavy thing running.
    fileParallelism: false,
  },
});
