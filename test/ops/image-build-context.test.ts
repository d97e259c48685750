import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

// The app image runs `next build`, which type-checks what tsconfig.build.json reaches, from a build context that
// .dockerignore trims: a source file that imports a test helper builds here and fails only inside the image.
const root = path.resolve(import.meta.dirname, '../..');

/** The paths .dockerignore leaves out of the build context (plain paths; patterns and exceptions are not needed here). */
function leftOutOfContext(): string[] {
  return fs
    .readFileSync(path.join(root, '.dockerignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#') && !line.startsWith('!') && !/[*?[]/.test(line));
}

describe('the app image build context', () => {
  it('holds every file next build type-checks (tsconfig.build.json and what it imports)', () => {
    const listed = execFileSync(
      process.execPath,
      [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--listFilesOnly'],
      {
        cwd: root,
        encoding: 'utf8',
      },
    );
    const files = listed
      .split('\n')
      .filter(Boolean)
      .map((file) => path.relative(root, file))
      .filter((file) => !file.startsWith('..') && !file.startsWith('node_modules/'))
      // Written by next build itself, inside the image as here.
      .filter((file) => !file.startsWith('.next/') && file !== 'next-env.d.ts');
    expect(files).toContain('src/instrumentation.ts');
    const leftOut = leftOutOfContext();
    expect(leftOut).toContain('test');
    expect(files.filter((file) => leftOut.some((entry) => file === entry || file.startsWith(`${entry}/`)))).toEqual([]);
  });
});
