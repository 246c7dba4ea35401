// The error structure (SPEC §2 "Errors", §5 "Error"): every failure exits non-zero with one
// JSON object on stdout holding cniVersion, code and msg (details when there is more to say).
import { Problems, type ConformanceCase } from '../case.js';
import type { CaseContext, PluginTarget } from '../context.js';
import { errorStructureProblem } from '../error-shape.js';
import { createVethPair } from '../ip.js';
import type { ProcessOutcome } from '../process.js';
import { requestStdin } from './env.js';

type Provocation = (ctx: CaseContext, target: PluginTarget) => Promise<ProcessOutcome | undefined>;

const provocations: { name: string; run: Provocation }[] = [
  {
    name: 'bad JSON',
    run: async (ctx, target) => {
      const att = await ctx.attachment();
      return ctx.invoke(target.type, 'ADD', { attachment: att, stdin: '{"cniVersion": ' });
    },
  },
  {
    name: 'unknown command',
    run: async (ctx, target) => {
      const att = await ctx.attachment();
      return ctx.invoke(target.type, 'FROBNICATE', { attachment: att, stdin: requestStdin(ctx, target, 'ADD', att) });
    },
  },
  {
    name: 'ADD without CNI_IFNAME',
    run: async (ctx, target) => {
      const att = await ctx.attachment();
      return ctx.invoke(target.type, 'ADD', {
        attachment: att,
        stdin: requestStdin(ctx, target, 'ADD', att),
        env: { CNI_IFNAME: undefined },
      });
    },
  },
  {
    name: 'unsupported version',
    run: async (ctx, target) => {
      const att = await ctx.attachment();
      const stdin = JSON.stringify({ ...(JSON.parse(requestStdin(ctx, target, 'ADD', att)) as object), cniVersion: '99.0.0' });
      return ctx.invoke(target.type, 'ADD', { attachment: att, stdin });
    },
  },
  {
    name: 'interface name taken',
    run: async (ctx, target) => {
      if (target.index !== 0 || target.delegated) return undefined;
      const att = await ctx.attachment();
      await createVethPair(att.netns, att.ifname, 'czt-peer0');
      return ctx.invoke(target.type, 'ADD', { attachment: att, stdin: requestStdin(ctx, target, 'ADD', att) });
    },
  },
];

export const errorCases: ConformanceCase[] = [
  {
    id: 'errors.structure',
    area: 'errors',
    title: 'failures print {cniVersion, code, msg[, details]} on stdout',
    clause: 'SPEC §2 "Errors"; §5 "Error"',
    level: 'SHOULD',
    async run(ctx) {
      const problems = new Problems();
      let judged = 0;
      for (const target of ctx.targets()) {
        for (const p of provocations) {
          const outcome = await p.run(ctx, target);
          // A provocation the plugin did not fail on is other cases' finding, not this one's.
          if (!outcome || outcome.exitCode === 0) continue;
          judged += 1;
          const problem = errorStructureProblem(outcome);
          problems.add(problem && `${target.type}${target.delegated ? ' (delegated)' : ''}, ${p.name}: ${problem}`);
        }
      }
      return problems.verdict(`${judged} failures judged`);
    },
  },
];
