// The CNI_* parameters (SPEC §2 "Parameters" and each command's required variables): a
// missing or invalid one is an error, code 4 naming the variable (SPEC §5 "Error").
import { Problems, type ConformanceCase } from '../case.js';
import type { Attachment, CaseContext, PluginTarget } from '../context.js';
import { errorCodeProblem, failureProblem, stdoutObject } from '../error-shape.js';
import { describeOutcome } from '../process.js';
import { claimsVersionAtLeast, standInResult } from './common.js';

type Variable = 'CNI_CONTAINERID' | 'CNI_NETNS' | 'CNI_IFNAME' | 'CNI_PATH';

// Required variables besides CNI_COMMAND, per command, as SPEC §2 lists them.
const REQUIRED: { command: 'ADD' | 'DEL' | 'CHECK' | 'GC'; variables: Variable[]; since: string }[] = [
  { command: 'ADD', variables: ['CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME'], since: '0.3.0' },
  { command: 'DEL', variables: ['CNI_CONTAINERID', 'CNI_IFNAME'], since: '0.3.0' },
  { command: 'CHECK', variables: ['CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME'], since: '0.4.0' },
  { command: 'GC', variables: ['CNI_PATH'], since: '1.1.0' },
];

/** The stdin a runtime would send `target` for `command`, with a stand-in prevResult where one belongs. */
export function requestStdin(ctx: CaseContext, target: PluginTarget, command: string, att: Attachment): string {
  if (command === 'GC') return ctx.networkStdin(target, undefined, { 'cni.dev/valid-attachments': [] });
  if (command === 'STATUS') return ctx.networkStdin(target);
  const chained = target.index > 0 && !target.delegated;
  const withPrev = command === 'CHECK' || (command === 'ADD' && chained);
  return ctx.attachmentStdin(target, withPrev ? { prevResult: standInResult(ctx.version, att) } : {});
}

function chainTargets(ctx: CaseContext): PluginTarget[] {
  return ctx.targets().filter((t) => !t.delegated);
}

function missingVariableCase(command: (typeof REQUIRED)[number]['command'], variable: Variable, since: string): ConformanceCase {
  return {
    id: `env.missing-${variable}@${command}`,
    area: 'env',
    title: `${command} without ${variable} fails with code 4 naming it`,
    clause: `SPEC §2 "${command}" (required parameters); §5 "Error" (code 4)`,
    level: 'MUST',
    notApplicable: (profile) =>
      claimsVersionAtLeast(profile, since)
        ? undefined
        : `${command} exists from spec ${since} on; the set claims ${profile.claims.versions.join(', ')}`,
    async run(ctx) {
      const problems = new Problems();
      for (const target of ctx.targets()) {
        const att = await ctx.attachment();
        const stdin = requestStdin(ctx, target, command, att);
        const attachment = command === 'GC' ? undefined : att;
        const outcome = await ctx.invoke(target.type, command, { attachment, stdin, env: { [variable]: undefined } });
        problems.add(prefixed(target, errorCodeProblem(outcome, 4, [variable])));
      }
      return problems.verdict();
    },
  };
}

function prefixed(target: PluginTarget, problem: string | undefined): string | undefined {
  return problem && `${target.type}${target.delegated ? ' (delegated)' : ''}: ${problem}`;
}

const INVALID_CONTAINER_IDS = ['-leading-dash', 'with/slash', 'with space'];
const INVALID_IFNAMES = ['name-longer-than15', 'with/slash', 'with space'];

export const envCases: ConformanceCase[] = [
  {
    id: 'env.unknown-command',
    area: 'env',
    title: 'an unknown CNI_COMMAND fails with code 4 naming CNI_COMMAND',
    clause: 'SPEC §2 "CNI operations"; §5 "Error" (code 4)',
    level: 'MUST',
    async run(ctx) {
      const problems = new Problems();
      for (const target of ctx.targets()) {
        const att = await ctx.attachment();
        const outcome = await ctx.invoke(target.type, 'FROBNICATE', { attachment: att, stdin: requestStdin(ctx, target, 'ADD', att) });
        problems.add(prefixed(target, errorCodeProblem(outcome, 4, ['CNI_COMMAND'])));
      }
      return problems.verdict();
    },
  },
  {
    id: 'env.missing-command',
    area: 'env',
    title: 'without CNI_COMMAND a plugin fails with code 4, or prints nothing on stdout (usage text on stderr)',
    clause: 'SPEC §2 "Parameters"; §5 "Error" (code 4)',
    level: 'SHOULD',
    async run(ctx) {
      const problems = new Problems();
      for (const target of ctx.targets()) {
        const att = await ctx.attachment();
        const outcome = await ctx.invoke(target.type, 'ADD', {
          attachment: att,
          stdin: requestStdin(ctx, target, 'ADD', att),
          env: { CNI_COMMAND: undefined },
        });
        if (outcome.exitCode === 0) {
          if (outcome.stdout.trim() !== '')
            problems.add(`${target.type}: exit 0 with stdout ${JSON.stringify(outcome.stdout.slice(0, 120))}`);
        } else {
          problems.add(prefixed(target, errorCodeProblem(outcome, 4, ['CNI_COMMAND'])));
        }
      }
      return problems.verdict();
    },
  },
  ...REQUIRED.flatMap(({ command, variables, since }) => variables.map((v) => missingVariableCase(command, v, since))),
  {
    id: 'env.invalid-container-id',
    area: 'env',
    title: `ADD with an invalid CNI_CONTAINERID (${INVALID_CONTAINER_IDS.map((s) => JSON.stringify(s)).join(', ')}) fails with code 4`,
    clause: 'SPEC §2 "Parameters" (CNI_CONTAINERID); §5 "Error" (code 4)',
    level: 'SHOULD',
    async run(ctx) {
      const problems = new Problems();
      for (const target of chainTargets(ctx)) {
        for (const id of INVALID_CONTAINER_IDS) {
          const att = await ctx.attachment();
          const outcome = await ctx.invoke(target.type, 'ADD', {
            attachment: att,
            stdin: requestStdin(ctx, target, 'ADD', att),
            env: { CNI_CONTAINERID: id },
          });
          const problem = errorCodeProblem(outcome, 4);
          problems.add(problem && `${target.type} with ${JSON.stringify(id)}: ${problem}`);
        }
      }
      return problems.verdict();
    },
  },
  {
    id: 'env.invalid-ifname',
    area: 'env',
    title: `ADD with an unusable CNI_IFNAME (${INVALID_IFNAMES.map((s) => JSON.stringify(s)).join(', ')}) fails`,
    clause: 'SPEC §2 "Parameters" (CNI_IFNAME)',
    level: 'MUST',
    async run(ctx) {
      const problems = new Problems();
      const codes: string[] = [];
      for (const target of chainTargets(ctx)) {
        for (const ifname of INVALID_IFNAMES) {
          const att = await ctx.attachment({ ifname });
          const outcome = await ctx.invoke(target.type, 'ADD', { attachment: att, stdin: requestStdin(ctx, target, 'ADD', att) });
          const problem = failureProblem(outcome);
          problems.add(problem && `${target.type} with ${JSON.stringify(ifname)}: ${problem}`);
          if (!problem)
            codes.push(
              `${target.type} ${JSON.stringify(ifname)} → code ${String(stdoutObject(outcome)?.code ?? describeOutcome(outcome))}`,
            );
        }
      }
      return problems.verdict(codes.join(', '));
    },
  },
];
