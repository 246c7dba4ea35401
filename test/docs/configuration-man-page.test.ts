// cni-zones(7) is made from docs/configuration.md: every field of every table of the page is a
// paragraph of the rendered manual, every section is there, and man renders it without a
// troff warning. A page the converter cannot render fails here, not in a reader's terminal.
import { beforeAll, describe, expect, it } from 'vitest';
import { renderConfigurationManPage } from '../../cli/zonectl/manual/configuration-page.js';
import { type Rendered, renderWithMan } from '../cli/zonectl/manual/man.js';
import { codeSpan, readDoc, tableRows } from './markdown.js';

const markdown = readDoc('docs/configuration.md');
const fields = tableRows(markdown)
  .filter((row) => row.cells[0] !== 'field')
  .map((row) => ({ path: codeSpan(row.cells[0]), ...row }));

let rendered: Rendered;
let lines: string[];

beforeAll(async () => {
  rendered = await renderWithMan(renderConfigurationManPage(markdown, '9.8.7'), 'cni-zones.7');
  lines = rendered.text.split('\n');
}, 60_000);

describe('cni-zones(7)', () => {
  it('renders with man without a troff warning (as lintian checks it)', () => {
    expect(rendered.warnings).toBe('');
  });

  it('has NAME and DESCRIPTION, every section of the page, SEE ALSO, and the version', () => {
    const sections = [...markdown.matchAll(/^## (.+)$/gm)].map((m) => m[1]!.replaceAll('`', '').toUpperCase());
    expect(sections.length).toBeGreaterThan(2);
    const unindented = lines.filter((line) => /^\S/.test(line));
    expect(unindented.slice(1, -1)).toEqual(['NAME', 'DESCRIPTION', ...sections, 'SEE ALSO']);
    expect(unindented.at(-1)).toMatch(/^cni-zones 9\.8\.7 +CNI-ZONES\(7\)$/);
    expect(rendered.whatis).toBe('cni-zones - configuration of the CNI plugins zone, zone-ipam and zone-ports');
    expect(rendered.text).toContain('zonectl(8)');
  });

  it('has a paragraph for every field of every table, in its section', () => {
    expect(fields.length).toBeGreaterThan(50);
    for (const field of fields) {
      expect(field.path, `docs/configuration.md:${field.line}: the first cell is one code span`).toBeDefined();
      const section = lines.indexOf(field.section.toUpperCase());
      const tag = lines.findIndex((line, index) => index > section && line === `       ${field.path}`);
      expect(section, field.section).toBeGreaterThan(0);
      expect(tag, `docs/configuration.md:${field.line}: ${field.path} is no tag in section ${field.section}`).toBeGreaterThan(0);
      const nextSection = lines.findIndex((line, index) => index > section && /^\S/.test(line));
      expect(tag).toBeLessThan(nextSection);
    }
  });

  it('keeps no markdown: no backticks, no link targets', () => {
    expect(rendered.text).not.toMatch(/`|\]\(/);
  });
});
