// The markdown converter: what it renders, and that it refuses, with the line, what it cannot.
import { describe, expect, it } from 'vitest';
import { appendMarkdown, inline, UnsupportedMarkdownError } from '../../../../cli/zonectl/manual/markdown-roff.js';
import { RoffPage } from '../../../../cli/zonectl/manual/roff.js';

function convert(markdown: string): string {
  const page = new RoffPage({ title: 'T', section: 7, source: 's', manual: 'm' });
  appendMarkdown(page, markdown);
  return page.toString().split('\n').slice(3).join('\n');
}

describe('inline markdown', () => {
  it('sets code in bold with minus signs, keeps a link text, italicises emphasis', () => {
    expect(inline('the `cni.dev/valid-attachments` list, see [errors](errors.md), a *set* and **this**', 1)).toBe(
      'the \\fBcni.dev/valid\\-attachments\\fR list, see errors, a \\fIset\\fR and \\fBthis\\fR',
    );
  });

  it('keeps what markdown keeps literal: an underscore inside a word, a bracket that is no link', () => {
    expect(inline('K8S_POD_NAME on [::1] and a < b', 1)).toBe('K8S_POD_NAME on [::1] and a < b');
  });

  it.each([
    ['``double``', /code span/],
    ['an `unclosed span', /code span/],
    ['![image](x.png)', /image/],
    ['a * b', /"\*"/],
    ['*emphasis around `code`*', /"\*"/],
    ['_underscored_', /"_"/],
    ['<b>html</b>', /HTML/],
    ['&amp;', /entity/],
    ['a \\* b', /backslash/],
    ['[text](url "title")', /link/],
  ])('refuses %s', (markdown, message) => {
    expect(() => inline(markdown, 7)).toThrow(UnsupportedMarkdownError);
    expect(() => inline(markdown, 7)).toThrow(message);
    expect(() => inline(markdown, 7)).toThrow(/^line 7: /);
  });
});

describe('blocks', () => {
  it('leaves out the title, makes ## sections and ### subsections, joins paragraph lines', () => {
    expect(convert('# Title\n\nOne\ntwo.\n\n## Common `fields`\n\n### Sub\n\nThree.\n')).toBe(
      '.PP\nOne two.\n.SH "COMMON FIELDS"\n.SS "Sub"\n.PP\nThree.\n',
    );
  });

  it('writes a bullet list, continuation lines joined to their item', () => {
    expect(convert('- one\n  more\n- two\n\nAfter.')).toBe('.IP \\(bu 2\none more\n.IP \\(bu 2\ntwo\n.PP\nAfter.\n');
  });

  it('writes a table as tagged paragraphs: first column the tag, the middle ones a line, the last below', () => {
    const table = '| field | type | default | meaning |\n|---|---|---|---|\n| `a-b` | string | `x` | What *it* is. |\n';
    expect(convert(table)).toBe('.TP\n\\fBa\\-b\\fR\n.br\ntype: string; default: \\fBx\\fR\n.br\nWhat \\fIit\\fR is.\n');
  });

  it('writes a two-column table without the middle line', () => {
    expect(convert('| a | b |\n|:-|-:|\n| x | y |')).toBe('.TP\nx\n.br\ny\n');
  });

  it.each([
    ['```sh\nls\n```', 3, /fenced code/],
    ['> quoted', 3, /block quote/],
    ['1. first', 3, /numbered list/],
    ['<!-- comment -->', 3, /HTML/],
    ['    indented code', 3, /indented code/],
    ['---', 3, /thematic break/],
    ['#### deep', 3, /below ###/],
    ['- item\n  - nested', 4, /nested list/],
    ['text\n===', 4, /setext heading/],
    ['para\n- item', 4, /interrupts a paragraph/],
    ['# Second title', 3, /second "# " title/],
    ['| a | b |\n| x | y |', 4, /separator/],
    ['| a | b |\n|---|---|\n| x |', 5, /1 cells under a header of 2/],
    ['| a | b |\n|---|---|\n| x \\| y | z |', 5, /escaped "\|"/],
    ['| a |\n|---|\n| x |', 3, /one column/],
  ])('refuses %j at its line', (markdown, line, message) => {
    const page = `# Title\n\n${markdown}\n`;
    expect(() => convert(page)).toThrow(message);
    expect(() => convert(page)).toThrow(new RegExp(`^line ${line}: `));
  });
});
