// What a conformance case is: an id, the spec clause it checks with that clause's keyword
// (MUST or SHOULD), and a run that ends in a verdict with a reason. Cases that do not apply to
// a plugin set (a version or capability it does not claim) say why before anything runs.
import type { CaseContext } from './context.js';
import type { Profile } from './profile.js';

export const AREAS = [
  'version',
  'env',
  'config',
  'add',
  'result',
  'chain',
  'check',
  'del',
  'gc',
  'status',
  'capabilities',
  'output',
  'errors',
  'concurrency',
  'cleanup',
] as const;
export type Area = (typeof AREAS)[number];

export type Level = 'MUST' | 'SHOULD';

/** `xfail`: failed as the profile expects; `xpass`: passed although expected to fail; `error`: the harness itself failed. */
export type Status = 'pass' | 'fail' | 'n/a' | 'xfail' | 'xpass' | 'error';

export interface Verdict {
  status: 'pass' | 'fail' | 'n/a';
  reason: string;
}

export interface ConformanceCase {
  id: string;
  area: Area;
  title: string;
  /** Where the requirement is written: `SPEC §2 "DEL"`, `CONVENTIONS "Well-known Capabilities"`. */
  clause: string;
  level: Level;
  /** Why the case does not apply to this profile, or undefined; decided before any namespace exists. */
  notApplicable?(profile: Profile): string | undefined;
  run(ctx: CaseContext): Promise<Verdict>;
}

export interface CaseResult {
  id: string;
  area: Area;
  title: string;
  clause: string;
  level: Level;
  status: Status;
  reason: string;
  durationMs: number;
}

export function pass(reason = ''): Verdict {
  return { status: 'pass', reason };
}

export function fail(reason: string): Verdict {
  return { status: 'fail', reason };
}

export function notApplicable(reason: string): Verdict {
  return { status: 'n/a', reason };
}

/** A failure of the harness (not of the plugins): reported as `error`. */
export class HarnessError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HarnessError';
  }
}

/** Collects problems; the verdict passes when there are none. */
export class Problems {
  private readonly list: string[] = [];

  add(problem: string | undefined): void {
    if (problem) this.list.push(problem);
  }

  addAll(problems: readonly string[], prefix = ''): void {
    for (const p of problems) this.list.push(prefix ? `${prefix}: ${p}` : p);
  }

  get empty(): boolean {
    return this.list.length === 0;
  }

  verdict(passReason = ''): Verdict {
    return this.empty ? pass(passReason) : fail(this.list.join('; '));
  }
}

const ID_BOUNDARIES = ['.', '@'];

function matches(c: Pick<ConformanceCase, 'id' | 'area'>, filter: string): boolean {
  if (filter.endsWith('*')) return c.id.startsWith(filter.slice(0, -1));
  return filter === c.area || filter === c.id || (c.id.startsWith(filter) && ID_BOUNDARIES.includes(c.id.charAt(filter.length)));
}

/**
 * Whether a case is selected by `--only` filters: an area (`env`), a case id, the id without
 * its version (`add.version` for every `add.version@…`), or a prefix ending in `*` (`env.missing*`).
 */
export function isSelected(c: Pick<ConformanceCase, 'id' | 'area'>, only: readonly string[] | undefined): boolean {
  if (!only || only.length === 0) return true;
  return only.some((f) => matches(c, f));
}
