import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';

export default defineConfig({
  plugins: [vue()],
  server: { proxy: { '/graphql': { target: 'http://localhost:8000', ws: true } } },
  build: { outDir: 'dist', emptyOutDir: true },
});
