// stdout belongs to the protocol (SPEC §2 "Overview", §5 "ADD Success", §2 "GC" output): an
// ADD prints its result and nothing else; DEL, CHECK, STATUS and GC print nothing on success.
import { versionAtLeast } from '../../lib/cni/version.js';
import { fail, Problems, type ConformanceCase } from '../case.js';
import { addChain, checkChain, delChain } from '../chain.js';
import type { CaseContext } from '../context.js';
import type { ProcessOutcome } from '../process.js';
import { attempt } from './common.js';

function noiseOf(outcome: ProcessOutcome): string | undefined {
  const text = outcome.stdout.trim();
  if (text === '') return 'nothing on stdout';
  try {
    const json: unknown = JSON.parse(text);
    return json && typeof json === 'object' && !Array.isArray(json) ? undefined : 'stdout is JSON but not an object';
  } catch {
    return `stdout is not one JSON object: ${JSON.stringify(outcome.stdout.slice(0, 160))}`;
  }
}

function silentProblem(label: string, outcome: ProcessOutcome): string | undefined {
  if (outcome.exitCode !== 0 || outcome.stdout.trim() === '') return undefined;
  return `${label} printed ${JSON.stringify(outcome.stdout.trim().slice(0, 120))}`;
}

async function networkCommands(ctx: CaseContext, problems: Problems): Promise<void> {
  if (!versionAtLeast(ctx.version, '1.1.0')) return;
  for (const target of ctx.targets().filter((t) => !t.delegated)) {
    const status = await ctx.invoke(target.type, 'STATUS', { stdin: ctx.networkStdin(target) });
    problems.add(silentProblem(`STATUS of ${target.type}`, status));
    const gc = await ctx.invoke(target.type, 'GC', { stdin: ctx.networkStdin(target, undefined, { 'cni.dev/valid-attachments': [] }) });
    problems.add(silentProblem(`GC of ${target.type}`, gc));
  }
}

export const outputCases: ConformanceCase[] = [
  {
    id: 'output.add-result-only',
    area: 'output',
    title: 'ADD prints its result on stdout and nothing else, at every step of the chain',
    clause: 'SPEC §2 "Overview"; §5 "ADD Success"',
    level: 'MUST',
    async run(ctx) {
      const att = await ctx.attachment();
      const run = await addChain(ctx, att);
      const problems = new Problems();
      for (const s of run.steps) {
        const noise = s.outcome.exitCode === 0 ? noiseOf(s.outcome) : undefined;
        problems.add(noise && `${s.type}: ${noise}`);
      }
      if (problems.empty && run.failure) return fail(run.failure);
      await delChain(ctx, att, { ...(run.result && { prevResult: run.result }) });
      return problems.verdict();
    },
  },
  {
    id: 'output.silent-on-success',
    area: 'output',
    title: 'DEL, CHECK, STATUS and GC print nothing on stdout when they succeed',
    clause: 'SPEC §2 "GC" (output); §2 "Overview"',
    level: 'SHOULD',
    async run(ctx) {
      const att = await ctx.attachment();
      const add = await addChain(ctx, att);
      if (add.failure || !add.result) return fail(add.failure ?? 'ADD gave no result');
      const problems = new Problems();
      const prevResult = add.result;
      if (versionAtLeast(ctx.version, '0.4.0') && !ctx.network().disableCheck) {
        const check = await checkChain(ctx, att, { prevResult });
        for (const s of check.steps) problems.add(silentProblem(`CHECK of ${s.type}`, s.outcome));
      }
      await networkCommands(ctx, problems);
      const del = await delChain(ctx, att, versionAtLeast(ctx.version, '0.4.0') ? { prevResult } : {});
      for (const s of del.steps) problems.add(silentProblem(`DEL of ${s.type}`, s.outcome));
      await attempt(() => ctx.del(att));
      return problems.verdict();
    },
  },
];
