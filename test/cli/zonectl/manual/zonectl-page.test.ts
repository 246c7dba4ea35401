// zonectl(8) against the command table: every visible command with every argument and option
// (and its default) is in the rendered page, the hidden ones are not, and man renders it
// without a single troff warning.
import { beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS } from '../../../../cli/zonectl/cli.js';
import { renderZonectlManPage } from '../../../../cli/zonectl/manual/zonectl-page.js';
import { LIB_DIR, UNIT_DIR, ZONECTL } from '../../../../packaging/deb/layout.js';
import { type Rendered, renderWithMan } from './man.js';

const visible = COMMANDS.filter((c) => !c.hidden).map((c) => c.spec);

let rendered: Rendered;

beforeAll(async () => {
  rendered = await renderWithMan(renderZonectlManPage('9.8.7'), 'zonectl.8');
}, 60_000);

/** The rendered lines of the command's subsection, from its heading to the next heading. */
function commandLines(name: string): string[] {
  const lines = rendered.text.split('\n');
  const start = lines.findIndex((line) => line === `   zonectl ${name}` || line.startsWith(`   zonectl ${name} `));
  expect(start, `no subsection "zonectl ${name}"`).toBeGreaterThanOrEqual(0);
  const end = lines.findIndex((line, index) => index > start && /^ {0,3}\S/.test(line));
  return lines.slice(start, end < 0 ? undefined : end);
}

/** The text of the tagged paragraph whose tag is `tag` (up to the next tag or paragraph), one line. */
function tagged(lines: readonly string[], tag: string): string | undefined {
  const start = lines.findIndex((line) => line === `       ${tag}` || line.startsWith(`       ${tag} `));
  if (start < 0) return undefined;
  const end = lines.findIndex((line, index) => index > start && /^ {7}\S/.test(line));
  return lines
    .slice(start, end < 0 ? undefined : end)
    .join(' ')
    .replace(/\s+/g, ' ');
}

describe('zonectl(8)', () => {
  it('renders with man without a troff warning (as lintian checks it)', () => {
    expect(rendered.warnings).toBe('');
  });

  it('has the sections of a section 8 page, and the version in its footer', () => {
    const unindented = rendered.text.split('\n').filter((line) => /^\S/.test(line));
    expect(unindented.slice(1, -1)).toEqual(['NAME', 'SYNOPSIS', 'DESCRIPTION', 'COMMANDS', 'EXIT STATUS', 'FILES', 'SEE ALSO']);
    expect(unindented.at(-1)).toMatch(/^cni-zones 9\.8\.7 +ZONECTL\(8\)$/);
    expect(rendered.whatis).toBe('zonectl - attach systemd-nspawn machines to CNI zones, show and repair them');
  });

  it.each(visible.map((spec) => [spec.name, spec] as const))('describes "zonectl %s" with every argument and option', (name, spec) => {
    const lines = commandLines(name);
    expect(lines.join(' ').replace(/\s+/g, ' ')).toContain(spec.summary);
    for (const positional of spec.positionals) expect(tagged(lines, positional.name), positional.name).toBeDefined();
    for (const option of spec.options) {
      const tag = `${option.short ? `-${option.short}, ` : ''}--${option.name}${option.kind === 'boolean' ? '' : ` ${option.value}`}`;
      const paragraph = tagged(lines, tag);
      expect(paragraph, tag).toBeDefined();
      if (option.defaultText !== undefined) expect(paragraph).toContain(`Default: ${option.defaultText}`);
    }
    expect(rendered.text).toMatch(new RegExp(`^ {7}zonectl ${name.replace(/[-]/g, '\\-')}( |$)`, 'm'));
  });

  it('leaves the hidden commands out', () => {
    const hidden = COMMANDS.filter((c) => c.hidden).map((c) => c.spec.name);
    expect(hidden.length).toBeGreaterThan(0);
    for (const name of hidden) expect(rendered.text).not.toContain(name);
  });

  it('names the exit codes, the files and the related pages', () => {
    expect(rendered.text).toMatch(/^ {7}2 {6}The command line was wrong/m);
    for (const file of [
      '/etc/cni/net.d/',
      '/var/lib/cni/networks/',
      '/run/cni-zones/ports/',
      'cni-zones-repair.service',
      'table inet cni_zones',
    ])
      expect(rendered.text).toContain(file);
    expect(rendered.text.replace(/\s+/g, ' ')).toContain(
      'cni-zones(7), systemd-nspawn(1), machinectl(1), systemd.network(5), systemd-networkd(8), nft(8)',
    );
  });

  it('names where the Debian package puts the executables, zonectl and the units (packaging/deb/layout.ts)', () => {
    const files = rendered.text.slice(rendered.text.indexOf('\nFILES\n'));
    for (const path of [`${LIB_DIR}/`, ZONECTL, `${UNIT_DIR}/cni-zones-gc.service`, `${UNIT_DIR}/cni-zones-repair.service`])
      expect(files).toContain(path);
  });
});
