import { defineConfig } from 'vitest/config';
import path from 'node:path';

export default defineConfig({
  resolve: {
    alias: {
      '@alerts': path.resolve(import.meta.dirname, 'alert-processor/index.ts'),
      '@audit': path.resolve(import.meta.dirname, 'audit/index.ts'),
      '@otel/register': path.resolve(import.meta.dirname, 'otel/register.ts'),
      '@otel/command': path.resolve(import.meta.dirname, 'otel/command-telemetry.ts'),
      '@otel/browser': path.resolve(import.meta.dirname, 'otel/browser/index.ts'),
      '@otel': path.resolve(import.meta.dirname, 'otel/index.ts'),
      '@': path.resolve(import.meta.dirname, 'src'),
    },
  },
  test: {
    include: [
      'src/**/*.test.ts',
      'otel/**/*.test.ts',
      'audit/**/*.test.ts',
      'alert-processor/**/*.test.ts',
      'test/**/*.test.ts',
      'scripts/**/*.test.ts',
      'bench/**/*.test.ts',
    ],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 180_000,
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
  },
});
