// DEL (SPEC §2 "DEL"; §3 "Lifecycle & Ordering"): best effort and idempotent. It succeeds
// again and again, when the container's namespace is gone, without a prevResult, and after
// an ADD that failed.
import { isCniError } from '../../lib/cni/errors.js';
import { fail, pass, Problems, type ConformanceCase } from '../case.js';
import { addChain, delChain } from '../chain.js';
import type { Attachment, CaseContext } from '../context.js';
import { createVethPair } from '../ip.js';
import { attempt, describeError, step } from './common.js';

/** Make ADD fail in a plugin-independent way: the interface name is taken in the container. */
export async function failedAdd(ctx: CaseContext, att: Attachment): Promise<{ error?: string; rollback?: string }> {
  await createVethPair(att.netns, att.ifname, 'czt-peer0');
  try {
    await ctx.add(att);
    return {};
  } catch (e) {
    const rollback = isCniError(e)
      ? e.details
          .split('\n')
          .filter((l) => l.startsWith('rollback: '))
          .join('; ')
      : '';
    return { error: describeError(e), ...(rollback && { rollback }) };
  }
}

export const delCases: ConformanceCase[] = [
  {
    id: 'del.idempotent',
    area: 'del',
    title: 'DEL succeeds twice with the same prevResult, and a third time without one',
    clause: 'SPEC §2 "DEL" (multiple DEL calls)',
    level: 'MUST',
    async run(ctx) {
      const att = await ctx.attachment();
      const add = await addChain(ctx, att);
      if (add.failure) return fail(add.failure);
      const problems = new Problems();
      const prevResult = add.result;
      for (const [label, options] of [
        ['first DEL', { ...(prevResult && { prevResult }) }],
        ['second DEL', { ...(prevResult && { prevResult }) }],
        ['third DEL (no prevResult)', {}],
      ] as const) {
        const run = await delChain(ctx, att, options);
        if (run.failure) problems.add(`${label}: ${run.failure}`);
      }
      return problems.verdict();
    },
  },
  {
    id: 'del.netns-gone',
    area: 'del',
    title: "DEL succeeds after the container's network namespace was removed",
    clause: 'SPEC §2 "DEL" (missing resources)',
    level: 'MUST',
    async run(ctx) {
      const att = await ctx.attachment();
      await step('ADD', () => ctx.add(att));
      await ctx.sandbox.removeNamespace(att.netns);
      const error = await attempt(() => ctx.del(att));
      return error ? fail(`DEL failed: ${error}`) : pass();
    },
  },
  {
    id: 'del.without-prevresult',
    area: 'del',
    title: 'DEL without prevResult succeeds',
    clause: 'SPEC §2 "DEL" (empty prevResult)',
    level: 'SHOULD',
    async run(ctx) {
      const att = await ctx.attachment();
      const add = await addChain(ctx, att);
      if (add.failure) return fail(add.failure);
      const run = await delChain(ctx, att);
      return run.failure ? fail(run.failure) : pass();
    },
  },
  {
    id: 'del.after-failed-add',
    area: 'del',
    title: 'after a failed ADD, the rollback DEL and a later DEL succeed',
    clause: 'SPEC §3 "Lifecycle & Ordering"; §2 "DEL"',
    level: 'MUST',
    async run(ctx) {
      const att = await ctx.attachment();
      const { error, rollback } = await failedAdd(ctx, att);
      if (!error) return fail('could not make ADD fail: it succeeded although the interface name was taken (see add.existing-ifname)');
      const problems = new Problems();
      problems.add(rollback);
      const del = await attempt(() => ctx.del(att));
      problems.add(del && `DEL failed: ${del}`);
      return problems.verdict(`ADD failed as arranged (${error.slice(0, 100)})`);
    },
  },
];
