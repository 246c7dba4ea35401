// Writing man(7) pages: escaping text for troff and the few macros our pages use. Every text
// line goes through `text` or `code`, so a backslash, a leading dot or quote, or a character
// outside ASCII in a description can never turn into a request or a warning.

// troff names for the characters our texts use; anything else outside ASCII becomes \[uXXXX].
const SPECIAL: Readonly<Record<string, string>> = {
  '–': '\\(en',
  '—': '\\(em',
  '−': '\\-',
  '→': '\\(->',
  '←': '\\(<-',
  '×': '\\(mu',
  '≤': '\\(<=',
  '≥': '\\(>=',
  '≠': '\\(!=',
  '±': '\\(+-',
  '·': '\\(pc',
  '…': '.\\|.\\|.',
  '‘': '\\(oq',
  '’': '\\(cq',
  '“': '\\(lq',
  '”': '\\(rq',
  '°': '\\(de',
  '\u00a0': '\\ ',
};

function escapeCharacter(char: string): string {
  if (char === '\\') return '\\(rs';
  const special = SPECIAL[char];
  if (special !== undefined) return special;
  const code = char.codePointAt(0)!;
  if (code < 0x20 || code === 0x7f) throw new Error(`a control character (U+${hex(code)}) cannot go into a man page`);
  return code < 0x80 ? char : `\\[u${hex(code)}]`;
}

function hex(code: number): string {
  return code.toString(16).toUpperCase().padStart(4, '0');
}

function escapeCharacters(value: string): string {
  return Array.from(value, escapeCharacter).join('');
}

// An option (`-h`, `--conf-dir`, `--network-namespace-path=...`) is typed by a reader: its dashes
// are minus signs, not hyphens (troff may render a hyphen as U+2010, which no shell takes for
// `-`), and a line is never broken inside it (troff breaks after a hyphen, not after \-).
const OPTION = /(^|[\s([{"'=|,/`])(--?[A-Za-z0-9][A-Za-z0-9-]*)/g;
// A reference to a manual page, `nft(8)`, is set in bold as man pages do, and kept whole.
const MAN_REFERENCE = /(^|[\s(,])([a-z][a-z0-9_.@-]*)\(([1-9])\)/g;

/** Prose: escaped, options with \- and manual references in bold. One line, no newlines. */
export function text(value: string): string {
  return escapeCharacters(value.replace(/\s*\n\s*/g, ' '))
    .replace(OPTION, (_m, before: string, option: string) => `${before}${option.replaceAll('-', '\\-')}`)
    .replace(
      MAN_REFERENCE,
      (_m, before: string, name: string, section: string) => `${before}${bold(name.replaceAll('-', '\\-'))}(${section})`,
    );
}

/** A literal a reader may type (a command, an option, a path, a field): every dash is \-. */
export function literal(value: string): string {
  return escapeCharacters(value.replace(/\s*\n\s*/g, ' ')).replaceAll('-', '\\-');
}

export const bold = (escaped: string): string => `\\fB${escaped}\\fR`;
export const italic = (escaped: string): string => `\\fI${escaped}\\fR`;

/** A line that troff will not read as a request: `.` or `'` first is protected with \&. */
function safeLine(line: string): string {
  return /^[.']/.test(line) ? `\\&${line}` : line;
}

/** A quoted macro argument (for .TH, .SH, .SS). */
function argument(escaped: string): string {
  return `"${escaped.replaceAll('"', '\\(dq')}"`;
}

/**
 * A page being written: macros append lines, `toString` gives the source. Text handed to the
 * methods is escaped already (by `text`, `literal`, `bold`, ...), so a page can mix fonts.
 */
export class RoffPage {
  private readonly lines: string[] = [];

  constructor(options: { title: string; section: number; source: string; manual: string }) {
    this.lines.push(
      `.TH ${[options.title, String(options.section), '', options.source, options.manual].map((a) => argument(escapeCharacters(a))).join(' ')}`,
      // Code-heavy text: no hyphenation inside paths and fields, no stretched spaces.
      '.nh',
      '.ad l',
    );
  }

  /** A section heading, escaped text (man pages write them in capitals). */
  section(escaped: string): this {
    this.lines.push(`.SH ${argument(escaped)}`);
    return this;
  }

  subsection(escaped: string): this {
    this.lines.push(`.SS ${argument(escaped)}`);
    return this;
  }

  /** A new paragraph of escaped text. */
  paragraph(escaped: string): this {
    this.lines.push('.PP');
    return this.line(escaped);
  }

  /** A tagged paragraph: the body beside a tag narrower than the indent, else below it. */
  tagged(tag: string, ...body: string[]): this {
    this.lines.push('.TP');
    this.line(tag);
    for (const [index, part] of body.entries()) this.line(part, index > 0);
    return this;
  }

  /** A tagged paragraph whose body always starts below the tag: entries of a reference list. */
  entry(tag: string, ...body: string[]): this {
    this.lines.push('.TP');
    this.line(tag);
    for (const part of body) this.line(part, true);
    return this;
  }

  /** A bullet item: `.IP \(bu 2`. */
  bullet(escaped: string): this {
    this.lines.push('.IP \\(bu 2');
    return this.line(escaped);
  }

  /** Lines kept as they are (no filling), indented: command examples, layouts. */
  preformatted(rawLines: readonly string[]): this {
    this.lines.push('.PP', '.RS 4', '.nf');
    // Spaces are kept as typed in no-fill mode, leading ones included.
    for (const raw of rawLines) this.lines.push(raw.trim() === '' ? '.sp' : safeLine(text(raw)));
    this.lines.push('.fi', '.RE');
    return this;
  }

  /** Escaped text continuing the current paragraph; `.br` before it when `breakBefore`. */
  line(escaped: string, breakBefore = false): this {
    if (breakBefore) this.lines.push('.br');
    if (escaped.includes('\n')) throw new Error('a roff text line cannot hold a newline');
    // A text line that starts with a space breaks the line: fill mode must not see one.
    this.lines.push(safeLine(escaped.trimStart()));
    return this;
  }

  toString(): string {
    return `${this.lines.join('\n')}\n`;
  }
}
