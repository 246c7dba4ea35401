// Command-line parsing for zonectl, and the help text made from the same description: long
// options (`--name value`, `--name=value`), short aliases, repeatable options, `--` to end
// options, and `-h`/`--help` everywhere. A mistake is a UsageError naming the help to read.
import { UsageError } from './errors.js';

export type OptionKind = 'string' | 'boolean' | 'list';

export interface OptionSpec {
  /** Long name without the dashes. */
  name: string;
  short?: string;
  kind: OptionKind;
  /** Placeholder in the help, e.g. DIR. */
  value?: string;
  description: string;
  /** Shown as "(default: ...)". */
  defaultText?: string;
}

export interface PositionalSpec {
  name: string;
  description: string;
  optional?: boolean;
}

export interface CommandSpec {
  /** As typed after `zonectl`, e.g. "up" or "nspawn enable". */
  name: string;
  summary: string;
  /** Paragraphs after the usage line. */
  description?: string;
  positionals: PositionalSpec[];
  options: OptionSpec[];
  examples?: string[];
}

export interface ParsedArgs {
  help: boolean;
  positionals: string[];
  string(name: string): string | undefined;
  flag(name: string): boolean;
  list(name: string): string[];
}

const HELP_OPTION: OptionSpec = { name: 'help', short: 'h', kind: 'boolean', description: 'show this help' };

function usageError(spec: CommandSpec, message: string): UsageError {
  return new UsageError(message, `see "zonectl ${spec.name} --help"`);
}

function findOption(spec: CommandSpec, token: string): OptionSpec | undefined {
  const options = [...spec.options, HELP_OPTION];
  if (token.startsWith('--')) return options.find((o) => o.name === token.slice(2));
  return options.find((o) => o.short !== undefined && o.short === token.slice(1));
}

class Parsed implements ParsedArgs {
  readonly positionals: string[] = [];
  readonly values = new Map<string, string | boolean | string[]>();

  get help(): boolean {
    return this.values.get('help') === true;
  }

  string(name: string): string | undefined {
    const value = this.values.get(name);
    return typeof value === 'string' ? value : undefined;
  }

  flag(name: string): boolean {
    return this.values.get(name) === true;
  }

  list(name: string): string[] {
    const value = this.values.get(name);
    return Array.isArray(value) ? value : [];
  }
}

function store(parsed: Parsed, spec: CommandSpec, option: OptionSpec, value: string | undefined): void {
  if (option.kind === 'boolean') {
    if (value !== undefined) throw usageError(spec, `option --${option.name} takes no value`);
    parsed.values.set(option.name, true);
    return;
  }
  if (value === undefined) throw usageError(spec, `option --${option.name} needs a value${option.value ? ` (${option.value})` : ''}`);
  if (option.kind === 'list') parsed.values.set(option.name, [...parsed.list(option.name), value]);
  else if (parsed.values.has(option.name)) throw usageError(spec, `option --${option.name} given twice`);
  else parsed.values.set(option.name, value);
}

function checkPositionals(spec: CommandSpec, parsed: Parsed): void {
  if (parsed.help) return;
  const required = spec.positionals.filter((p) => !p.optional).length;
  if (parsed.positionals.length < required) {
    const missing = spec.positionals
      .slice(parsed.positionals.length)
      .filter((p) => !p.optional)
      .map((p) => p.name);
    throw usageError(spec, `missing ${missing.join(' and ')}`);
  }
  if (parsed.positionals.length > spec.positionals.length) {
    const extra = parsed.positionals.slice(spec.positionals.length);
    throw usageError(spec, `unexpected argument${extra.length > 1 ? 's' : ''} ${extra.map((a) => `"${a}"`).join(' ')}`);
  }
}

export function parseArgs(spec: CommandSpec, argv: readonly string[]): ParsedArgs {
  const parsed = new Parsed();
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] as string;
    if (token === '--') {
      parsed.positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!token.startsWith('-') || token === '-') {
      parsed.positionals.push(token);
      continue;
    }
    const equals = token.startsWith('--') ? token.indexOf('=') : -1;
    const name = equals < 0 ? token : token.slice(0, equals);
    const option = findOption(spec, name);
    if (!option) throw usageError(spec, `unknown option ${name}`);
    let value = equals < 0 ? undefined : token.slice(equals + 1);
    if (value === undefined && option.kind !== 'boolean') {
      value = argv[i + 1];
      if (value !== undefined) i++;
    }
    store(parsed, spec, option, value);
  }
  checkPositionals(spec, parsed);
  return parsed;
}

// ---- help ----

function optionLabel(option: OptionSpec): string {
  const long = `--${option.name}${option.kind === 'boolean' ? '' : ` ${option.value ?? 'VALUE'}`}`;
  return option.short ? `-${option.short}, ${long}` : `    ${long}`;
}

function usageLine(spec: CommandSpec): string {
  const positionals = spec.positionals.map((p) => (p.optional ? `[${p.name}]` : p.name));
  return ['zonectl', spec.name, ...positionals, spec.options.length ? '[OPTIONS]' : ''].filter(Boolean).join(' ');
}

/** Two columns, the second aligned and wrapped under itself. */
export function twoColumns(rows: readonly [string, string][], indent = 2): string[] {
  const width = Math.max(0, ...rows.map(([left]) => left.length));
  return rows.flatMap(([left, right]) => {
    const [first = '', ...rest] = right.split('\n');
    const pad = ' '.repeat(indent + width + 2);
    return [`${' '.repeat(indent)}${left.padEnd(width)}  ${first}`.trimEnd(), ...rest.map((line) => `${pad}${line}`)];
  });
}

export function formatHelp(spec: CommandSpec): string {
  const lines = [`Usage: ${usageLine(spec)}`, '', spec.summary];
  if (spec.description) lines.push('', ...spec.description.split('\n'));
  if (spec.positionals.length) {
    lines.push('', 'Arguments:', ...twoColumns(spec.positionals.map((p) => [p.name, p.description])));
  }
  const options = [...spec.options, HELP_OPTION];
  lines.push(
    '',
    'Options:',
    ...twoColumns(options.map((o) => [optionLabel(o), o.defaultText ? `${o.description} (default: ${o.defaultText})` : o.description])),
  );
  if (spec.examples?.length) lines.push('', 'Examples:', ...spec.examples.map((e) => `  ${e}`));
  return `${lines.join('\n')}\n`;
}
