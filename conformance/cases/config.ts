// The configuration on stdin: undecodable JSON is code 6, a version the plugin does not speak
// code 1 (SPEC §5 "Error"; §1 "Version considerations").
import { Problems, type ConformanceCase } from '../case.js';
import type { CaseContext, PluginTarget } from '../context.js';
import { errorCodeProblem } from '../error-shape.js';
import { requestStdin } from './env.js';

const UNSUPPORTED_VERSION = '99.0.0';

async function eachTarget(ctx: CaseContext, code: number, stdinFor: (target: PluginTarget, stdin: string) => string) {
  const problems = new Problems();
  for (const target of ctx.targets()) {
    const att = await ctx.attachment();
    const stdin = stdinFor(target, requestStdin(ctx, target, 'ADD', att));
    const outcome = await ctx.invoke(target.type, 'ADD', { attachment: att, stdin });
    const problem = errorCodeProblem(outcome, code);
    problems.add(problem && `${target.type}${target.delegated ? ' (delegated)' : ''}: ${problem}`);
  }
  return problems.verdict();
}

export const configCases: ConformanceCase[] = [
  {
    id: 'config.bad-json',
    area: 'config',
    title: 'ADD with a configuration that is not JSON fails with code 6',
    clause: 'SPEC §5 "Error" (code 6)',
    level: 'MUST',
    run: (ctx) => eachTarget(ctx, 6, (_t, stdin) => stdin.slice(0, Math.max(1, Math.floor(stdin.length / 2)))),
  },
  {
    id: 'config.unsupported-version',
    area: 'config',
    title: `ADD with cniVersion "${UNSUPPORTED_VERSION}" fails with code 1`,
    clause: 'SPEC §1 "Version considerations"; §5 "Error" (code 1)',
    level: 'MUST',
    run: (ctx) => eachTarget(ctx, 1, (_t, stdin) => JSON.stringify({ ...(JSON.parse(stdin) as object), cniVersion: UNSUPPORTED_VERSION })),
  },
];
