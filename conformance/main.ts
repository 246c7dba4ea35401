// `conformance`: run the CNI conformance cases against one or more plugin sets and report.
// Progress goes to stderr; the table (or --json) to stdout; --junit/--markdown to files.
import { writeFile } from 'node:fs/promises';
import { ALL_CASES } from './cases/index.js';
import { parseCliArgs, USAGE, UsageError, type CliOptions } from './cli-args.js';
import { loadProfile, ProfileError } from './profile.js';
import { formatJson } from './report/json.js';
import { formatJunit } from './report/junit.js';
import { formatMarkdown } from './report/markdown.js';
import { formatColumns, formatTable, STATUS_LABEL } from './report/table.js';
import { runProfile, unknownFilters, type ProfileReport } from './runner.js';
import { abandonAllSandboxes } from './sandbox.js';
import { findExecutable } from '../lib/system/programs.js';

/** Why the harness cannot run here (not root, ip or nsenter missing), or undefined. */
function preflightProblem(): string | undefined {
  const problems: string[] = [];
  if (process.getuid?.() !== 0) problems.push('the harness creates network namespaces and must run as root');
  const missing = ['ip', 'nsenter'].filter((name) => !findExecutable(name));
  if (missing.length) problems.push(`missing tools: ${missing.join(', ')}`);
  return problems.length ? problems.join('; ') : undefined;
}

function listCases(): string {
  return formatColumns([['CASE', 'LEVEL', 'CLAUSE', 'CHECKS'], ...ALL_CASES.map((c) => [c.id, c.level, c.clause, c.title])]);
}

function commandLine(argv: readonly string[]): string {
  return ['npm run conformance --', ...argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a}'`))].join(' ');
}

async function runAll(options: CliOptions): Promise<ProfileReport[]> {
  const reports: ProfileReport[] = [];
  for (const config of options.configs) {
    const profile = await loadProfile(config, { pluginDirs: options.pluginDirs });
    process.stderr.write(`conformance: ${profile.title} (${profile.pluginDirs.join(', ')})\n`);
    reports.push(
      await runProfile(profile, {
        only: options.only,
        jobs: options.jobs,
        ...(options.pluginTimeoutMs && { pluginTimeoutMs: options.pluginTimeoutMs }),
        onResult: (r) => process.stderr.write(`  ${STATUS_LABEL[r.status].padEnd(5)} ${r.id} (${(r.durationMs / 1000).toFixed(1)} s)\n`),
      }),
    );
  }
  return reports;
}

async function main(argv: readonly string[]): Promise<number> {
  const options = parseCliArgs(argv);
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (options.list) {
    process.stdout.write(`${listCases()}\n`);
    return 0;
  }
  const unknown = unknownFilters(options.only);
  if (unknown.length) throw new UsageError(`--only matches no area or case: ${unknown.join(', ')} (see --list)`);
  const problem = preflightProblem();
  if (problem) {
    process.stderr.write(`conformance: cannot run: ${problem}\n`);
    return 2;
  }
  const reports = await runAll(options);
  process.stdout.write(options.json ? formatJson(reports) : `${reports.map((r) => formatTable(r)).join('\n\n')}\n`);
  if (options.junit) await writeFile(options.junit, formatJunit(reports));
  if (options.markdown)
    await writeFile(options.markdown, formatMarkdown(reports, { command: commandLine(argv), relativeTo: process.cwd() }));
  return reports.some((r) => r.summary.blocking > 0) ? 1 : 0;
}

// Interrupted: the namespaces and directories of running cases go, then the usual exit status.
for (const [signal, status] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const) {
  process.once(signal, () => {
    const removed = abandonAllSandboxes();
    process.stderr.write(`conformance: ${signal}: removed the namespaces of ${removed} running case(s)\n`);
    process.exit(status);
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    if (e instanceof UsageError) process.stderr.write(`conformance: ${e.message}\n\n${USAGE}\n`);
    else if (e instanceof ProfileError) process.stderr.write(`conformance: ${e.message}\n`);
    else process.stderr.write(`conformance: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 2;
  },
);
