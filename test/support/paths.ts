// Where test support finds the repository and keeps its scratch files.
// Everything a test writes to disk goes under `<repo>/.test-tmp/` (git-ignored),
// so a crashed run leaves debris in one known place and never in /tmp.

import { mkdirSync, mkdtempSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const supportDir = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(supportDir, '..', '..');
export const testTmpRoot = join(repoRoot, '.test-tmp');

/** A fresh, empty directory under `.test-tmp/`; the caller removes it. */
export function makeTestTempDir(prefix: string): string {
  mkdirSync(testTmpRoot, { recursive: true });
  return mkdtempSync(join(testTmpRoot, `${prefix}-`));
}
