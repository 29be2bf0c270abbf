import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';
import LongestFirstSequencer from './packages/testing/src/sequencer.js';

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
    // End-to-end files first, so the two workers finish together (packages/testing/src/sequencer.ts).
    sequence: { sequencer: LongestFirstSequencer },
    // Gives the run its token and sweeps what tests left on the shared servers (packages/testing/src/global-setup.ts).
    globalSetup: ['packages/testing/src/global-setup.ts'],
    // Every skipped test is listed with its reason at the end.
    reporters: ['default', './packages/testing/src/skip-reporter.ts'],
  },
});
