import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

// One runner for every package. `@tapbridge/source` makes workspace imports resolve to TypeScript sources,
// so tests never need a build; SWC compiles with decorator metadata, which NestJS dependency injection needs.
const conditions = ['@tapbridge/source', 'module', 'node', 'development|production'];

export default defineConfig({
  plugins: [swc.vite({ jsc: { target: 'es2022', parser: { syntax: 'typescript', decorators: true }, transform: { legacyDecorator: true, decoratorMetadata: true } } })],
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    include: ['{apps,packages}/*/test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default'],
  },
});
