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
          include: ['src/**/*.test.ts'],
          environment: 'happy-dom',
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
