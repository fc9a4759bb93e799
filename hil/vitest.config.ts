import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Vite warns about each file of that inlined parser whose source map points nowhere.
  logLevel: 'error',
  test: {
    include: ['lib/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    // The smoke run boots a QEMU guest: keep it the only heavy thing running.
    fileParallelism: false,
    // A hook's clean-up (a report folder's removal) took over 10 s at a load of 28 on 2 cores.
    hookTimeout: 60_000,
    // GitHub's workflow parser imports its JSON schema without an import attribute, which Node
    // refuses; inlined, Vite loads it.
    server: { deps: { inline: ['@actions/workflow-parser'] } },
  },
});
