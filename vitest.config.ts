import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    // Node 20 is supported by every part Ferry uses today; the AWS SDK's notice of a future
    // requirement would otherwise print once per test process.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          environment: 'node',
          // Real sharp on real images: generous on a loaded two-core machine.
          testTimeout: 30_000,
          include: ['packages/*/src/**/*.test.ts', 'server/src/**/*.test.ts'],
          exclude: ['**/*.dom.test.ts', '**/node_modules/**'],
        },
      },
      {
        extends: true,
        test: {
          name: 'dom',
          environment: 'happy-dom',
          include: ['packages/*/src/**/*.dom.test.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          environment: 'node',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: ['test/setup/services.ts'],
          // Real servers, real S3 and a real browser share two cores: one file at a time.
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
})
