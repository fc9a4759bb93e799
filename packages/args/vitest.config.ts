import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['lib/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 60_000,
  },
});
