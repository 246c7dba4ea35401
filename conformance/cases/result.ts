// Results across versions (SPEC §5 "ADD Success", §1 "Version considerations"): what the set
// answers at an older version is the conversion of what it answers at the newest one, as
// libcni converts results (0.3.x and 0.4.0 carry ips[].version; 1.x does not).
import { convertResult, parseResult } from '../../lib/cni/result.js';
import { versionAtLeast } from '../../lib/cni/version.js';
import { fail, Problems, type ConformanceCase } from '../case.js';
import { addChain, delChain } from '../chain.js';
import type { Profile } from '../profile.js';
import { resultSignature } from '../result-shape.js';
import { diffLines } from '../snapshot.js';

const GROUPS: readonly (readonly string[])[] = [['0.3.0', '0.3.1'], ['0.4.0'], ['1.0.0', '1.1.0']];

/** The newest claimed version of each group (0.3.x, 0.4.0, 1.x), oldest group first. */
export function representativeVersions(profile: Profile): string[] {
  return GROUPS.map((group) => group.filter((v) => (profile.claims.versions as readonly string[]).includes(v)).at(-1)).filter(
    (v): v is string => v !== undefined,
  );
}

export const resultCases: ConformanceCase[] = [
  {
    id: 'result.conversion',
    area: 'result',
    title: 'results at 0.3.x, 0.4.0 and 1.x say the same thing (each is the conversion of the newest)',
    clause: 'SPEC §5 "ADD Success"; §1 "Version considerations"',
    level: 'SHOULD',
    notApplicable: (profile) =>
      representativeVersions(profile).length >= 2 ? undefined : 'the set claims versions of only one result format',
    async run(ctx) {
      const versions = representativeVersions(ctx.profile);
      const outputs = new Map<string, unknown>();
      for (const version of versions) {
        const att = await ctx.attachment();
        const run = await addChain(ctx, att, { version });
        if (run.failure) return fail(`at ${version}: ${run.failure}`);
        outputs.set(version, run.output);
        await delChain(ctx, att, { version, ...(versionAtLeast(version, '0.4.0') && run.result && { prevResult: run.result }) });
      }
      const newest = versions.at(-1) as string;
      const problems = new Problems();
      for (const older of versions.slice(0, -1)) {
        const expected = resultSignature(convertResult(parseResult(outputs.get(newest)), older), ctx.ifname);
        const actual = resultSignature(outputs.get(older), ctx.ifname);
        const { added, removed } = diffLines(expected, actual);
        if (added.length || removed.length) {
          problems.add(`${older} vs ${newest} converted: ${[...added.map((l) => `+${l}`), ...removed.map((l) => `-${l}`)].join(', ')}`);
        }
      }
      return problems.verdict(`compared ${versions.join(', ')}`);
    },
  },
];
