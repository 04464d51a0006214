import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['__tests__/**/*.test.ts'],
    globalSetup: ['test-support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // More workers than cores on purpose: the end-to-end files spend most of their time waiting (on the action's
    // poll intervals and the stand-in's clock), not computing, so running several at once shortens the suite
    // even on a 2-core machine. Vitest starts the files that took longest last time first.
    maxWorkers: 8,
  },
});
