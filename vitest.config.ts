import { defineConfig } from 'vitest/config';

// Two projects: `unit` (pure logic, runs anywhere) and `e2e` (root, real namespaces).
// e2e files run one at a time: they share the kernel and must not race on it.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: [
            'test/lib/**/*.test.ts',
            'test/plugins/**/*.test.ts',
            'test/cli/**/*.test.ts',
            'test/conformance/**/*.test.ts',
            'test/docs/**/*.test.ts',
            'test/packaging/**/*.test.ts',
          ],
          setupFiles: ['test/support/unit-setup.ts'],
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 60_000,
          globalSetup: ['test/support/global-setup.ts'],
        },
      },
    ],
  },
});
