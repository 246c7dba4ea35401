import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VERSION } from '../../../cli/zonectl/version.js';
import { repoRoot } from '../../support/paths.js';

describe('VERSION', () => {
  it("is the package's", () => {
    expect(VERSION).toBe(JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).version);
  });
});
