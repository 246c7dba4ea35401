// Rendering a page with the real man (man-db, groff), as a reader and lintian do.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runProcess } from '../../../../lib/system/process.js';

const ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C.UTF-8', MANWIDTH: '80', MANROFFSEQ: '', MANPAGER: 'cat' };

export interface Rendered {
  /** What a reader sees at 80 columns, without bold or underline. */
  text: string;
  /** stderr of lintian's check (`man --warnings -E UTF-8 -l -Tutf8 -Z`): troff's warnings. */
  warnings: string;
  /** The whatis line mandb indexes the page by (lexgrog's reading of NAME). */
  whatis: string;
}

async function man(args: string[]): Promise<{ stdout: string; stderr: string }> {
  const result = await runProcess('man', args, { env: ENV, timeoutMs: 30_000 });
  if (result.exitCode !== 0) throw new Error(`man ${args.join(' ')} exited ${result.exitCode}: ${result.stderr}`);
  return result;
}

export async function renderWithMan(source: string, name: string): Promise<Rendered> {
  const dir = mkdtempSync(join(tmpdir(), 'man-'));
  try {
    const file = join(dir, name);
    writeFileSync(file, source);
    const lint = await man(['--warnings', '-E', 'UTF-8', '-l', '-Tutf8', '-Z', file]);
    const page = await man(['-l', file]);
    // Overstrike (x\bx, _\bx) and SGR, should a man be set up to keep them.
    const text = page.stdout.replace(/.\x08/g, '').replace(/\x1b\[[0-9;]*m/g, '');
    const lexgrog = await runProcess('lexgrog', [file], { env: ENV, timeoutMs: 30_000 });
    const whatis = /^[^:]+: "(.*)"$/.exec(lexgrog.stdout.trim())?.[1] ?? `(lexgrog: ${lexgrog.stdout}${lexgrog.stderr})`;
    return { text, warnings: lint.stderr, whatis };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
