// The command line of `conformance`: which profiles, where their plugins are, which cases,
// and which reports. Usage problems are one typed error, so main.ts can exit 2 with a hint.
import { parseArgs } from 'node:util';

export interface CliOptions {
  configs: string[];
  pluginDirs: string[];
  only: string[];
  json: boolean;
  junit?: string;
  markdown?: string;
  jobs: number;
  pluginTimeoutMs?: number;
  list: boolean;
  help: boolean;
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export const USAGE = `usage: conformance --config PROFILE [--config PROFILE...] [options]

Runs the CNI conformance cases against the plugin set each profile describes.

  --config FILE       a profile (conformance/profiles/*.json); repeat to compare sets
  --plugin-dir DIR    plugin directory, replacing the profiles' pluginDirs (repeatable)
  --only FILTER       run only these: an area (env), a case id, add.version for all its
                      versions, or a prefix with * (env.missing*); repeatable or a,b,c
  --json              print the report as JSON instead of the table
  --junit FILE        also write a JUnit XML report
  --markdown FILE     also write the side-by-side page (docs/conformance.md)
  --jobs N            cases run in parallel, each in its own namespaces (default 1)
  --timeout MS        timeout of one plugin run (default 30000)
  --list              list the cases and exit
  -h, --help          this text

Exit status: 0 when no MUST case failed, 1 when one did (or the harness failed), 2 on usage errors.`;

function positiveInteger(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} expects a positive integer, got "${text}"`);
  return n;
}

const OPTIONS = {
  config: { type: 'string', multiple: true },
  'plugin-dir': { type: 'string', multiple: true },
  only: { type: 'string', multiple: true },
  json: { type: 'boolean' },
  junit: { type: 'string' },
  markdown: { type: 'string' },
  jobs: { type: 'string' },
  timeout: { type: 'string' },
  list: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

function parseOrRefuse(argv: readonly string[]) {
  try {
    return parseArgs({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: false });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

export function parseCliArgs(argv: readonly string[]): CliOptions {
  const parsed = parseOrRefuse(argv);
  const v = parsed.values;
  const options: CliOptions = {
    configs: v.config ?? [],
    pluginDirs: v['plugin-dir'] ?? [],
    only: (v.only ?? [])
      .flatMap((o) => o.split(','))
      .map((o) => o.trim())
      .filter(Boolean),
    json: v.json ?? false,
    jobs: positiveInteger(v.jobs, '--jobs') ?? 1,
    list: v.list ?? false,
    help: v.help ?? false,
    ...(v.junit !== undefined && { junit: v.junit }),
    ...(v.markdown !== undefined && { markdown: v.markdown }),
  };
  const timeout = positiveInteger(v.timeout, '--timeout');
  if (timeout !== undefined) options.pluginTimeoutMs = timeout;
  if (!options.help && !options.list && options.configs.length === 0) throw new UsageError('--config PROFILE is required');
  return options;
}
