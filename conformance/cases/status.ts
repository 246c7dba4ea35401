// STATUS (SPEC §2 "STATUS", 1.1.0 on): a plugin ready to serve ADD exits 0.
import { Problems, type ConformanceCase } from '../case.js';
import { describeOutcome } from '../process.js';
import { needsVersion } from './common.js';

export const statusCases: ConformanceCase[] = [
  {
    id: 'status.ready',
    area: 'status',
    title: 'STATUS of a fresh network exits 0 for every plugin of the chain',
    clause: 'SPEC §2 "STATUS"',
    level: 'MUST',
    notApplicable: needsVersion('1.1.0', 'STATUS'),
    async run(ctx) {
      const problems = new Problems();
      for (const target of ctx.targets().filter((t) => !t.delegated)) {
        const outcome = await ctx.invoke(target.type, 'STATUS', { stdin: ctx.networkStdin(target) });
        if (outcome.exitCode !== 0) problems.add(`${target.type}: ${describeOutcome(outcome)}`);
      }
      return problems.verdict();
    },
  },
];
