import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // One copy of graphql, or type-graphql and graphql-js disagree about which realm a type is from.
  resolve: { alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }] },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'server',
          root: 'server',
          include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
          globalSetup: ['test/global-setup.ts'],
          setupFiles: ['test/setup.ts'],
          pool: 'forks',
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        // The web app's component tests: Vue single-file components in a simulated DOM.
        extends: true,
        plugins: [vue()],
        test: {
          name: 'web',
          root: 'web',
          include: ['src/**/*.test.ts', 'codegen/**/*.test.ts'],
          environment: 'happy-dom',
        },
      },
      {
        // The command-line client: its pure parts, and the built `gpuaas` run as a child process
        // against a real server on a fresh PostgreSQL database.
        extends: true,
        test: {
          name: 'cli',
          root: 'cli',
          include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'codegen/**/*.test.ts'],
          globalSetup: ['../server/test/global-setup.ts', 'test/build-cli.ts'],
          setupFiles: ['../server/test/setup.ts'],
          pool: 'forks',
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        // Browser tests: Debian's Chromium, driven by playwright-core, against the built app served by a
        // real server on a fresh PostgreSQL database (web/README.md, "Browser tests").
        extends: true,
        test: {
          name: 'e2e',
          root: 'web',
          include: ['e2e/**/*.e2e.ts'],
          globalSetup: ['../server/test/global-setup.ts', 'e2e/build-web.ts'],
          setupFiles: ['../server/test/setup.ts'],
          pool: 'forks',
          testTimeout: 60_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
    coverage: {
      provider: 'v8',
      include: ['server/src/**/*.ts'],
      // Process entry points run as child processes in the tests, where v8 coverage cannot follow.
      exclude: ['server/src/main.ts', 'server/src/graphql/emit-schema.ts', 'server/src/db/config.ts'],
      reporter: ['text-summary', 'text'],
      thresholds: { 'server/src/**': { lines: 85 } },
    },
  },
});
