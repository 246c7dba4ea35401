// The guides under docs/guides/: each has the header the runner needs, parses, and is linked
// from the README's Guides list or from a page under docs/ outside docs/guides/.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { guideNames, readGuide } from '../support/guides.js';
import { repoRoot } from '../support/paths.js';

function linkingPages(): { path: string; text: string }[] {
  const docs = readdirSync(join(repoRoot, 'docs'))
    .filter((file) => file.endsWith('.md'))
    .map((file) => `docs/${file}`);
  return ['README.md', ...docs].map((path) => ({ path, text: readFileSync(join(repoRoot, path), 'utf8') }));
}

describe('docs/guides', () => {
  const names = guideNames();
  const pages = linkingPages();

  it('has guides', () => {
    expect(names.length).toBeGreaterThan(0);
  });

  for (const name of names) {
    it(`${name}.md has the guide header and runnable blocks`, () => {
      expect(() => readGuide(name)).not.toThrow();
    });

    it(`${name}.md is linked from README.md or docs/`, () => {
      const target = new RegExp(`\\]\\((?:\\./)?(?:docs/)?guides/${name}\\.md(?:#[^)]*)?\\)`);
      expect(pages.filter((page) => target.test(page.text)).map((page) => page.path)).not.toEqual([]);
    });
  }
});
