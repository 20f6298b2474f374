import { defineConfig } from 'vitest/config';

// Unit tests are pure and run in parallel. Integration, package and example tests start real node
// processes on loopback, so they run one file at a time on this 2-core class of machine. The long
// timeouts are hang guards only; speed is measured in bench/, never asserted here.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          setupFiles: ['test/helpers/key-hints.ts'],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'integration',
          // test/browser drives the built bundle in real Chromium against real nodes: same ring.
          include: ['test/integration/**/*.test.ts', 'test/package/**/*.test.ts', 'test/browser/**/*.test.ts'],
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 60_000,
          pool: 'forks',
        },
      },
    ],
  },
});
