// GC (SPEC §2 "GC", 1.1.0 on): given the still valid attachments, a plugin keeps their
// resources and releases those of the others, whose namespaces are gone and whose cache
// records were lost (so the runtime cannot DEL them).
import { removeCacheEntry } from '../../lib/runtime/cache.js';
import { gcNetworkList } from '../../lib/runtime/gc.js';
import { notApplicable, Problems, type ConformanceCase, type Verdict } from '../case.js';
import type { Attachment, CaseContext } from '../context.js';
import { link } from '../ip.js';
import { diffSnapshots, summarizeDiff, type Snapshot } from '../snapshot.js';
import { attempt, needsVersion, step } from './common.js';

interface GcScenario {
  valid: Attachment;
  /** The host and state with only `valid` attached. */
  withValidOnly: Snapshot;
  gcError?: string;
}

async function runScenario(ctx: CaseContext): Promise<GcScenario> {
  const valid = await ctx.attachment({ role: 'valid' });
  await step('ADD of the valid attachment', () => ctx.add(valid));
  const withValidOnly = await ctx.snapshot();
  const stale = await ctx.attachment({ role: 'stale' });
  await step('ADD of the stale attachment', () => ctx.add(stale));
  await ctx.sandbox.removeNamespace(stale.netns);
  const list = ctx.network();
  await removeCacheEntry(ctx.sandbox.cacheDir, { networkName: list.name, containerId: stale.containerId, ifname: stale.ifname });
  const gcError = await attempt(() =>
    gcNetworkList(list, [{ network: list.name, containerId: valid.containerId, ifname: valid.ifname }], {
      ...ctx.execOptions(),
      cacheDir: ctx.sandbox.cacheDir,
    }),
  );
  return { valid, withValidOnly, ...(gcError && { gcError }) };
}

const gcApplies = needsVersion('1.1.0', 'GC');

function disabled(ctx: CaseContext): Verdict | undefined {
  return ctx.network().disableGC ? notApplicable('the conflist sets disableGC') : undefined;
}

export const gcCases: ConformanceCase[] = [
  {
    id: 'gc.keeps-valid',
    area: 'gc',
    title: 'GC succeeds and leaves the valid attachment working (CHECK passes, nothing of it removed)',
    clause: 'SPEC §2 "GC" (cni.dev/valid-attachments)',
    level: 'MUST',
    notApplicable: gcApplies,
    async run(ctx) {
      const off = disabled(ctx);
      if (off) return off;
      const s = await runScenario(ctx);
      const problems = new Problems();
      problems.add(s.gcError && `GC failed: ${s.gcError}`);
      if (!(await link(s.valid.netns, s.valid.ifname))) problems.add(`${s.valid.ifname} of the valid attachment is gone`);
      const lost = diffSnapshots(s.withValidOnly, await ctx.snapshot()).filter((l) => l.startsWith('- '));
      if (lost.length) problems.add(`removed what the valid attachment had: ${summarizeDiff(lost)}`);
      if (!ctx.network().disableCheck) {
        const check = await attempt(() => ctx.check(s.valid));
        problems.add(check && `CHECK of the valid attachment failed: ${check}`);
      }
      return problems.verdict();
    },
  },
  {
    id: 'gc.releases-stale',
    area: 'gc',
    title: 'GC releases what the stale attachment held (IPAM reservations, host rules)',
    clause: 'SPEC §2 "GC"',
    level: 'SHOULD',
    notApplicable: gcApplies,
    async run(ctx) {
      const off = disabled(ctx);
      if (off) return off;
      const s = await runScenario(ctx);
      const problems = new Problems();
      problems.add(s.gcError && `GC failed: ${s.gcError}`);
      const left = diffSnapshots(s.withValidOnly, await ctx.snapshot()).filter((l) => l.startsWith('+ '));
      if (left.length) problems.add(`still there after GC: ${summarizeDiff(left)}`);
      return problems.verdict();
    },
  },
];
