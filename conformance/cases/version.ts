// VERSION: answered whatever the rest of the environment says, echoing the requested version,
// and covering what the profile claims (SPEC §2 "VERSION", §5 "VERSION Success").
import { fail, pass, Problems, type ConformanceCase } from '../case.js';
import type { CaseContext } from '../context.js';
import { stdoutObject } from '../error-shape.js';
import { describeOutcome } from '../process.js';
import { unique } from './common.js';

const JUNK_ENV = {
  CNI_CONTAINERID: '!!not/a valid id',
  CNI_NETNS: '/nonexistent/netns',
  CNI_IFNAME: 'not a valid ifname!!',
  CNI_PATH: '/nonexistent',
  CNI_ARGS: '=;;junk',
};

interface VersionAnswer {
  cniVersion?: unknown;
  supportedVersions?: unknown;
}

function types(ctx: CaseContext): string[] {
  return unique(ctx.targets().map((t) => t.type));
}

async function askVersion(ctx: CaseContext, type: string, version: string, env: Record<string, string> = {}) {
  const outcome = await ctx.invoke(type, 'VERSION', { env, stdin: JSON.stringify({ cniVersion: version }) });
  return { outcome, answer: stdoutObject(outcome) as VersionAnswer | undefined };
}

function supported(answer: VersionAnswer | undefined): string[] | undefined {
  const list = answer?.supportedVersions;
  return Array.isArray(list) && list.length > 0 && list.every((v) => typeof v === 'string') ? (list as string[]) : undefined;
}

export const versionCases: ConformanceCase[] = [
  {
    id: 'version.junk-env',
    area: 'version',
    title: 'VERSION answers with a version object whatever the other CNI_* variables hold',
    clause: 'SPEC §2 "VERSION"; §5 "VERSION Success"',
    level: 'MUST',
    async run(ctx) {
      const problems = new Problems();
      for (const type of types(ctx)) {
        const { outcome, answer } = await askVersion(ctx, type, ctx.version, JUNK_ENV);
        if (outcome.exitCode !== 0) problems.add(`${type}: ${describeOutcome(outcome)}`);
        else if (!answer) problems.add(`${type}: stdout is not one JSON object: ${JSON.stringify(outcome.stdout.slice(0, 120))}`);
        else if (typeof answer.cniVersion !== 'string' || !supported(answer))
          problems.add(`${type}: no cniVersion or supportedVersions: ${outcome.stdout.trim().slice(0, 160)}`);
      }
      return problems.verdict(`${types(ctx).join(', ')} answered`);
    },
  },
  {
    id: 'version.echo',
    area: 'version',
    title: 'VERSION answers with the cniVersion it was given',
    clause: 'SPEC §5 "VERSION Success"',
    level: 'MUST',
    async run(ctx) {
      const problems = new Problems();
      for (const type of types(ctx)) {
        const wrong: string[] = [];
        for (const version of ctx.profile.claims.versions) {
          const { outcome, answer } = await askVersion(ctx, type, version);
          if (outcome.exitCode !== 0) wrong.push(`${version} → ${describeOutcome(outcome)}`);
          else if (answer?.cniVersion !== version) wrong.push(`${version} → ${JSON.stringify(answer?.cniVersion)}`);
        }
        if (wrong.length) problems.add(`${type}: ${wrong.join(', ')}`);
      }
      return problems.verdict();
    },
  },
  {
    id: 'version.claims',
    area: 'version',
    title: 'every plugin supports every version the profile claims',
    clause: 'SPEC §1 "Version considerations"; §5 "VERSION Success"',
    level: 'MUST',
    async run(ctx) {
      const problems = new Problems();
      const seen: string[] = [];
      for (const type of types(ctx)) {
        const { outcome, answer } = await askVersion(ctx, type, ctx.version);
        const list = supported(answer);
        if (!list) {
          problems.add(`${type}: no supportedVersions (${describeOutcome(outcome)})`);
          continue;
        }
        seen.push(`${type}: ${list.join(' ')}`);
        const missing = ctx.profile.claims.versions.filter((v) => !list.includes(v));
        if (missing.length) problems.add(`${type} does not list ${missing.join(', ')} (it says ${list.join(', ')})`);
      }
      return problems.empty ? pass(seen.join('; ')) : fail(problems.verdict().reason);
    },
  },
];
