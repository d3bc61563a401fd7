// The workspace page: built into the Python package, served by the daemon at /workspace/.
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/workspace/',
  build: {
    outDir: '../callctl/api/workspace_static',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1500,
  },
});
