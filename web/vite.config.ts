import vue from '@vitejs/plugin-vue';
import { gzipSync } from 'node:zlib';
import { defineConfig, type Logger, type Plugin } from 'vite';

/** The budget of the main JS bundle, gzipped. */
const MAIN_BUNDLE_LIMIT_KB = 250;

/** Logs the gzip size of the entry chunk after each build, and fails the build over budget. */
function mainBundleSize(): Plugin {
  let logger: Logger | undefined;
  return {
    name: 'gpuaas:main-bundle-size',
    apply: 'build',
    configResolved(config) {
      logger = config.logger;
    },
    generateBundle(_options, bundle) {
      for (const output of Object.values(bundle)) {
        if (output.type !== 'chunk' || !output.isEntry) continue;
        const kb = gzipSync(output.code).length / 1024;
        const line = `main JS bundle ${output.fileName}: ${kb.toFixed(1)} KB gzip (budget ${MAIN_BUNDLE_LIMIT_KB} KB)`;
        if (kb > MAIN_BUNDLE_LIMIT_KB) this.error(`${line}: over budget`);
        logger?.info(line);
      }
    },
  };
}

export default defineConfig({
  plugins: [vue(), mainBundleSize()],
  server: { proxy: { '/graphql': { target: 'http://localhost:8000', ws: true } } },
  build: { outDir: 'dist', emptyOutDir: true },
});
