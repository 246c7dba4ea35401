// Chained plugins (SPEC §2 "ADD", §5 "ADD Success"; CONVENTIONS "Chained Plugins"): a plugin
// given a prevResult outputs it, with its own changes, never dropping what came before.
import { parseResult } from '../../lib/cni/result.js';
import type { Result } from '../../lib/cni/types.js';
import { fail, Problems, type ConformanceCase } from '../case.js';
import { addChain, delChain } from '../chain.js';

/** What of `prev` is missing from `next`. */
export function droppedFrom(prev: Result, next: Result): string[] {
  const missing: string[] = [];
  if (next.cniVersion !== prev.cniVersion) missing.push(`cniVersion ${prev.cniVersion} became ${next.cniVersion}`);
  for (const i of prev.interfaces ?? []) {
    if (!(next.interfaces ?? []).some((n) => n.name === i.name && (n.sandbox ?? '') === (i.sandbox ?? '')))
      missing.push(`interface ${i.name}`);
  }
  for (const ip of prev.ips ?? []) if (!(next.ips ?? []).some((n) => n.address === ip.address)) missing.push(`ip ${ip.address}`);
  for (const r of prev.routes ?? []) if (!(next.routes ?? []).some((n) => n.dst === r.dst)) missing.push(`route ${r.dst}`);
  return missing;
}

export const chainCases: ConformanceCase[] = [
  {
    id: 'chain.prevresult',
    area: 'chain',
    title: 'each chained plugin passes the prevResult it gets through to its result',
    clause: 'SPEC §2 "ADD" (prevResult); §5 "ADD Success"',
    level: 'MUST',
    notApplicable: (profile) => {
      const plugins = (profile.conflist.plugins as unknown[] | undefined) ?? [];
      return plugins.length > 1 ? undefined : 'the conflist has one plugin: nothing is chained';
    },
    async run(ctx) {
      const att = await ctx.attachment();
      const run = await addChain(ctx, att);
      if (run.failure) return fail(run.failure);
      const problems = new Problems();
      let prev: Result | undefined;
      for (const s of run.steps) {
        const current = parseResult(s.json, ctx.version);
        if (prev) {
          const dropped = droppedFrom(prev, current);
          if (dropped.length) problems.add(`${s.type} dropped ${dropped.join(', ')}`);
        }
        prev = current;
      }
      await delChain(ctx, att, { ...(run.result && { prevResult: run.result }) });
      return problems.verdict(`${run.steps.map((s) => s.type).join(' → ')}`);
    },
  },
];
