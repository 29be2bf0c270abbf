import { defineConfig } from 'vite';

// A static bundle the api-gateway serves at /console (apps/api-gateway/src/console.controller.ts). Workspace imports
// (@tapbridge/client) resolve to their TypeScript sources, as in the tests, so the build needs no other build first.
export default defineConfig({
  base: '/console/',
  resolve: { conditions: ['@tapbridge/source', 'browser', 'module', 'import', 'default'] },
  oxc: { jsx: { runtime: 'automatic', importSource: 'react' } },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true },
});
