// Nothing left behind (SPEC §2 "DEL": undo what ADD applied): after a warm-up ADD + DEL and with
// a keeper attachment holding the network's shared state, the host namespace and the state
// directory after ADD + DEL are what they were before, in every way a DEL can come: plain,
// with capability arguments, after the namespace went, without prevResult, after a failed ADD.
import { Problems, type ConformanceCase } from '../case.js';
import { addChain, delChain } from '../chain.js';
import type { Attachment, CaseContext } from '../context.js';
import { diffSnapshots, summarizeDiff } from '../snapshot.js';
import { claimedCapabilityArgs } from './check.js';
import type { CapabilityArgs } from '../profile.js';
import { addKeeper, attempt, keeperCapabilityArgs, step } from './common.js';
import { failedAdd } from './del.js';

type Scenario = (ctx: CaseContext, att: Attachment, problems: Problems) => Promise<void>;

interface CleanupOptions {
  notApplicable?: ConformanceCase['notApplicable'];
  /** The keeper's capability arguments (default none). */
  keeperArgs?: (ctx: CaseContext) => CapabilityArgs;
}

function cleanupCase(id: string, title: string, scenario: Scenario, options: CleanupOptions = {}): ConformanceCase {
  return {
    id: `cleanup.${id}`,
    area: 'cleanup',
    title,
    clause: 'SPEC §2 "DEL" (undo any modifications)',
    level: 'SHOULD',
    ...(options.notApplicable && { notApplicable: options.notApplicable }),
    async run(ctx) {
      const keeperArgs = options.keeperArgs?.(ctx);
      await warmUp(ctx, keeperArgs);
      await addKeeper(ctx, keeperArgs);
      const before = await ctx.snapshot();
      const att = await ctx.attachment();
      const problems = new Problems();
      await scenario(ctx, att, problems);
      const left = diffSnapshots(before, await ctx.snapshot());
      if (left.length) problems.add(`host namespace or state changed: ${summarizeDiff(left)}`);
      return problems.verdict();
    },
  };
}

/**
 * One ADD + DEL before the measurement: whatever the network keeps once it was used (a bridge,
 * a shared chain, an empty table DEL created) is then in the "before" snapshot, and the diff
 * shows what one attachment leaves.
 */
async function warmUp(ctx: CaseContext, capabilityArgs: CapabilityArgs | undefined): Promise<void> {
  const warm = await ctx.attachment({ role: 'warmup' });
  const options = { ...(capabilityArgs && { capabilityArgs }) };
  await step('warm-up ADD', () => ctx.add(warm, options));
  await step('warm-up DEL', () => ctx.del(warm, options));
}

async function delOrNote(ctx: CaseContext, att: Attachment, problems: Problems, options = {}): Promise<void> {
  const error = await attempt(() => ctx.del(att, options));
  problems.add(error && `DEL failed: ${error}`);
}

export const cleanupCases: ConformanceCase[] = [
  cleanupCase('after-del', 'after ADD and DEL the host namespace and state are as before', async (ctx, att, problems) => {
    await step('ADD', () => ctx.add(att));
    await delOrNote(ctx, att, problems);
  }),
  cleanupCase(
    'after-del-with-capabilities',
    'after ADD and DEL with every claimed capability argument, the host namespace and state are as before',
    async (ctx, att, problems) => {
      const capabilityArgs = claimedCapabilityArgs(ctx);
      await step('ADD with capability arguments', () => ctx.add(att, { capabilityArgs }));
      await delOrNote(ctx, att, problems, { capabilityArgs });
    },
    {
      notApplicable: (profile) => (profile.claims.capabilities.length ? undefined : 'the set claims no capability'),
      keeperArgs: (ctx) => keeperCapabilityArgs(claimedCapabilityArgs(ctx)),
    },
  ),
  cleanupCase(
    'after-del-netns-gone',
    'after ADD, removal of the namespace and DEL, the host and state are as before',
    async (ctx, att, problems) => {
      await step('ADD', () => ctx.add(att));
      await ctx.sandbox.removeNamespace(att.netns);
      await delOrNote(ctx, att, problems);
    },
  ),
  cleanupCase(
    'after-del-without-prevresult',
    'after ADD and a DEL without prevResult, the host and state are as before',
    async (ctx, att, problems) => {
      const add = await addChain(ctx, att);
      if (add.failure) throw new Error(add.failure);
      const del = await delChain(ctx, att);
      problems.add(del.failure);
    },
  ),
  cleanupCase('after-failed-add', 'after a failed ADD and its DEL, the host and state are as before', async (ctx, att, problems) => {
    const { error } = await failedAdd(ctx, att);
    if (!error) problems.add('ADD did not fail although the interface name was taken');
    await delOrNote(ctx, att, problems);
  }),
];
