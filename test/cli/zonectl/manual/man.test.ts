// The check the page tests rely on sees what troff warns about: a page with a mistake fails it.
import { expect, it } from 'vitest';
import { renderWithMan } from './man.js';

it("reports troff's warnings for a page with an unknown macro and a bad escape", async () => {
  const rendered = await renderWithMan('.TH BAD 1\n.SH NAME\nbad \\- a broken page\n.XY z\n\\*[nostring]\n', 'bad.1');
  expect(rendered.warnings).toMatch(/warning: macro 'XY' not defined/);
  expect(rendered.text).toContain('bad - a broken page');
});
