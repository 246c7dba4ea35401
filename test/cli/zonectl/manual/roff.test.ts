import { describe, expect, it } from 'vitest';
import { bold, literal, RoffPage, text } from '../../../../cli/zonectl/manual/roff.js';

function page(): RoffPage {
  return new RoffPage({ title: 'T', section: 1, source: 's', manual: 'm' });
}

describe('text', () => {
  it('writes a backslash as \\(rs, so it starts no escape', () => {
    expect(text('C:\\fBoom \\n')).toBe('C:\\(rsfBoom \\(rsn');
  });

  it('writes the dashes of options as minus signs, and leaves hyphens in words alone', () => {
    expect(text('use --conf-dir or -h, not zone-ipam')).toBe('use \\-\\-conf\\-dir or \\-h, not zone-ipam');
    expect(text('(--network-namespace-path=/run/netns/x)')).toBe('(\\-\\-network\\-namespace\\-path=/run/netns/x)');
    expect(text('"--" ends the options; a - b')).toBe('"--" ends the options; a - b');
  });

  it('maps the non-ASCII characters our pages use to troff names, others to \\[u....]', () => {
    expect(text('1–12 → a × b — c ≤ d − 1 é')).toBe('1\\(en12 \\(-> a \\(mu b \\(em c \\(<= d \\- 1 \\[u00E9]');
  });

  it('sets references to manual pages in bold', () => {
    expect(text('see nft(8), systemd-nspawn(1)')).toBe('see \\fBnft\\fR(8), \\fBsystemd\\-nspawn\\fR(1)');
  });

  it('joins lines and refuses control characters', () => {
    expect(text('a\n  b')).toBe('a b');
    expect(() => text('bell\x07')).toThrow(/control character/);
  });
});

describe('literal', () => {
  it('writes every dash as a minus sign', () => {
    expect(literal('cni.dev/valid-attachments')).toBe('cni.dev/valid\\-attachments');
    expect(literal('-n')).toBe('\\-n');
  });
});

describe('RoffPage', () => {
  it('protects a text line that starts with "." or "\'" from being read as a request', () => {
    const source = page().paragraph(text('.conflist files')).paragraph(text("'quoted' first")).toString();
    expect(source).toContain('\n\\&.conflist files\n');
    expect(source).toContain("\n\\&'quoted' first\n");
    expect(source.split('\n').filter((l) => /^[.']/.test(l) && !/^\.(TH|nh|ad|PP|SH)\b/.test(l))).toEqual([]);
  });

  it('drops the leading spaces of a filled text line, which would break the line', () => {
    expect(page().paragraph('   x').toString()).toContain('\n.PP\nx\n');
  });

  it('keeps preformatted lines as written, a blank one as .sp, a leading dot protected', () => {
    const source = page().preformatted(['  a  b', '', '.x']).toString();
    expect(source).toContain('.nf\n  a  b\n.sp\n\\&.x\n.fi');
  });

  it('quotes macro arguments, a double quote inside as \\(dq', () => {
    const source = new RoffPage({ title: 'A "B"', section: 8, source: 'cni-zones 1.0', manual: 'M' }).section('X "Y"').toString();
    expect(source).toContain('.TH "A \\(dqB\\(dq" "8" "" "cni-zones 1.0" "M"');
    expect(source).toContain('.SH "X \\(dqY\\(dq"');
  });

  it('writes a tagged paragraph with .TP and breaks between the parts of its body', () => {
    expect(page().tagged(bold('tag'), 'one', 'two').toString()).toContain('.TP\n\\fBtag\\fR\none\n.br\ntwo\n');
  });

  it('writes an entry with its body below the tag, however short the tag', () => {
    expect(page().entry(bold('x'), 'one', 'two').toString()).toContain('.TP\n\\fBx\\fR\n.br\none\n.br\ntwo\n');
  });

  it('refuses a newline inside a text line', () => {
    expect(() => page().line('a\nb')).toThrow(/newline/);
  });
});
