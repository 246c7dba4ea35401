// Runs the cases of one profile: each in a fresh sandbox (private host namespace, container
// namespaces, state directory), torn down afterwards whatever happened. A case that does not
// apply is `n/a` with its reason; a profile's expected failures become `xfail` (or `xpass`);
// a failure of the harness itself is `error`, never a plugin's fail.
import { AREAS, HarnessError, isSelected, type CaseResult, type ConformanceCase, type Status, type Verdict } from './case.js';
import { ALL_CASES } from './cases/index.js';
import { CaseContext } from './context.js';
import type { Profile } from './profile.js';
import { createSandbox, type SandboxFactory } from './sandbox.js';
import { listPlugins } from './shim.js';

export interface RunOptions {
  /** Areas, case ids or id prefixes (`--only`). */
  only?: readonly string[];
  /** Per plugin run (default 30 s). */
  pluginTimeoutMs?: number;
  /** Per case (default 180 s). */
  caseTimeoutMs?: number;
  /** Cases run at the same time, each in its own namespaces (default 1). */
  jobs?: number;
  tmpRoot?: string;
  cases?: readonly ConformanceCase[];
  sandboxFactory?: SandboxFactory;
  /** Called as each case finishes (progress output). */
  onResult?(result: CaseResult): void;
}

export interface Summary {
  total: number;
  byStatus: Record<Status, number>;
  /** MUST cases that failed, and harness errors: what makes the run fail. */
  blocking: number;
  /** Share of applicable cases that passed (xfail counts as not passed), per level. */
  passRate: { MUST: number; SHOULD: number };
}

export interface ProfileReport {
  profile: Pick<Profile, 'name' | 'title' | 'description' | 'source' | 'pluginDirs' | 'claims' | 'notes'>;
  startedAt: string;
  durationMs: number;
  /** Problems of the setup, e.g. a plugin of the conflist missing from the plugin directories. */
  warnings: string[];
  results: CaseResult[];
  summary: Summary;
}

const DEFAULT_PLUGIN_TIMEOUT_MS = 30_000;
const DEFAULT_CASE_TIMEOUT_MS = 180_000;

export function unknownFilters(only: readonly string[] | undefined, cases: readonly ConformanceCase[] = ALL_CASES): string[] {
  return (only ?? []).filter((f) => !cases.some((c) => isSelected(c, [f])) && !(AREAS as readonly string[]).includes(f));
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    const limit = ms >= 1000 ? `${Math.round(ms / 1000)} s` : `${ms} ms`;
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${limit}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function expected(status: Verdict['status'] | 'error', reason: string, why: string | undefined): { status: Status; reason: string } {
  if (why === undefined) return { status, reason };
  if (status === 'fail') return { status: 'xfail', reason: `expected to fail (${why}): ${reason}` };
  if (status === 'pass') return { status: 'xpass', reason: `passed although expected to fail (${why})${reason ? `: ${reason}` : ''}` };
  return { status, reason };
}

async function runCase(
  c: ConformanceCase,
  profile: Profile,
  plugins: ReadonlyMap<string, string>,
  options: RunOptions,
): Promise<CaseResult> {
  const started = performance.now();
  const base = { id: c.id, area: c.area, title: c.title, clause: c.clause, level: c.level };
  const finish = (status: Status, reason: string): CaseResult => ({
    ...base,
    status,
    reason,
    durationMs: Math.round(performance.now() - started),
  });
  const na = c.notApplicable?.(profile);
  if (na !== undefined) return finish('n/a', na);
  let sandbox: Awaited<ReturnType<typeof createSandbox>>;
  try {
    sandbox = await (options.sandboxFactory ?? createSandbox)({ plugins, ...(options.tmpRoot && { tmpRoot: options.tmpRoot }) });
  } catch (e) {
    return finish('error', `cannot set up the case: ${(e as Error).message}`);
  }
  let status: Verdict['status'] | 'error';
  let reason: string;
  try {
    const ctx = new CaseContext(profile, sandbox, {
      timeoutMs: options.pluginTimeoutMs ?? DEFAULT_PLUGIN_TIMEOUT_MS,
      available: new Set(plugins.keys()),
    });
    const verdict = await withTimeout(c.run(ctx), options.caseTimeoutMs ?? DEFAULT_CASE_TIMEOUT_MS, `case ${c.id}`);
    ({ status, reason } = verdict);
  } catch (e) {
    status = e instanceof HarnessError ? 'error' : 'fail';
    reason = e instanceof Error ? e.message : String(e);
  }
  const leftovers = await sandbox.cleanup();
  if (leftovers.length) reason = `${reason}${reason ? '; ' : ''}cleanup: ${leftovers.join('; ')}`;
  const final = expected(status, reason, profile.expectedFailures[c.id]);
  return finish(final.status, final.reason);
}

export function summarize(results: readonly CaseResult[]): Summary {
  const byStatus: Record<Status, number> = { pass: 0, fail: 0, 'n/a': 0, xfail: 0, xpass: 0, error: 0 };
  for (const r of results) byStatus[r.status] += 1;
  const rate = (level: 'MUST' | 'SHOULD') => {
    const applicable = results.filter((r) => r.level === level && r.status !== 'n/a');
    const passed = applicable.filter((r) => r.status === 'pass' || r.status === 'xpass').length;
    return applicable.length ? Math.round((passed / applicable.length) * 1000) / 10 : 100;
  };
  return {
    total: results.length,
    byStatus,
    blocking: results.filter((r) => r.status === 'error' || (r.level === 'MUST' && r.status === 'fail')).length,
    passRate: { MUST: rate('MUST'), SHOULD: rate('SHOULD') },
  };
}

async function missingPlugins(profile: Profile, plugins: ReadonlyMap<string, string>): Promise<string[]> {
  const list = (profile.conflist.plugins as { type?: unknown; ipam?: { type?: unknown } }[] | undefined) ?? [];
  const types = list.flatMap((p) => [p.type, p.ipam?.type]).filter((t): t is string => typeof t === 'string');
  return [...new Set(types)].filter((t) => !plugins.has(t)).map((t) => `plugin "${t}" is not in ${profile.pluginDirs.join(', ')}`);
}

/** Run the selected cases against one profile, `jobs` at a time; results come back in case order. */
export async function runProfile(profile: Profile, options: RunOptions = {}): Promise<ProfileReport> {
  const startedAt = new Date();
  const started = performance.now();
  const plugins = await listPlugins(profile.pluginDirs);
  const selected = (options.cases ?? ALL_CASES).filter((c) => isSelected(c, options.only));
  const results: CaseResult[] = new Array(selected.length);
  let next = 0;
  const worker = async () => {
    while (next < selected.length) {
      const index = next++;
      const result = await runCase(selected[index] as ConformanceCase, profile, plugins, options);
      results[index] = result;
      options.onResult?.(result);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.jobs ?? 1) }, worker));
  return {
    profile: {
      name: profile.name,
      title: profile.title,
      description: profile.description,
      source: profile.source,
      pluginDirs: profile.pluginDirs,
      claims: profile.claims,
      notes: profile.notes,
    },
    startedAt: startedAt.toISOString(),
    durationMs: Math.round(performance.now() - started),
    warnings: await missingPlugins(profile, plugins),
    results,
    summary: summarize(results),
  };
}
