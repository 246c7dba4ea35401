// CHECK (SPEC §2 "CHECK", 0.4.0 on): passes right after ADD, also with capability arguments,
// and fails once something the result lists is gone (the interface, an address).
import { convertResult } from '../../lib/cni/result.js';
import { fail, notApplicable, pass, Problems, type ConformanceCase, type Verdict } from '../case.js';
import type { Attachment, CaseContext } from '../context.js';
import { deleteAddress, deleteLink } from '../ip.js';
import type { CapabilityArgs } from '../profile.js';
import { addressesOf, containerInterfaceIndex } from '../result-shape.js';
import { attempt, needsVersion, step } from './common.js';

const checkApplies = needsVersion('0.4.0', 'CHECK');

function disabled(ctx: CaseContext): Verdict | undefined {
  return ctx.network().disableCheck ? notApplicable('the conflist sets disableCheck') : undefined;
}

/** The capability arguments of every capability the profile claims. */
export function claimedCapabilityArgs(ctx: CaseContext): CapabilityArgs {
  const args: Record<string, unknown> = {};
  for (const c of ctx.profile.claims.capabilities) args[c] = ctx.profile.capabilityArgs[c as keyof CapabilityArgs];
  return args as CapabilityArgs;
}

type Damage = (att: Attachment, result: Record<string, unknown>) => Promise<string>;

const damages: { name: string; apply: Damage }[] = [
  {
    name: 'interface deleted',
    apply: async (att) => {
      await deleteLink(att.netns, att.ifname);
      return `deleted ${att.ifname}`;
    },
  },
  {
    name: 'address removed',
    apply: async (att, result) => {
      const address = addressesOf(result, containerInterfaceIndex(result, att.ifname))[0];
      if (!address) throw new Error(`the result lists no address on ${att.ifname}`);
      await deleteAddress(att.netns, att.ifname, address);
      return `removed ${address} from ${att.ifname}`;
    },
  },
];

export const checkCases: ConformanceCase[] = [
  {
    id: 'check.after-add',
    area: 'check',
    title: 'CHECK right after ADD passes',
    clause: 'SPEC §2 "CHECK" (plugin considerations)',
    level: 'MUST',
    notApplicable: checkApplies,
    async run(ctx) {
      const off = disabled(ctx);
      if (off) return off;
      const att = await ctx.attachment();
      await step('ADD', () => ctx.add(att));
      const error = await attempt(() => ctx.check(att));
      await attempt(() => ctx.del(att));
      return error ? fail(`CHECK failed: ${error}`) : pass();
    },
  },
  {
    id: 'check.after-add-with-capabilities',
    area: 'check',
    title: 'CHECK right after an ADD with every claimed capability argument passes',
    clause: 'SPEC §2 "CHECK" (plugin considerations)',
    level: 'MUST',
    notApplicable: (profile) => checkApplies(profile) ?? (profile.claims.capabilities.length ? undefined : 'the set claims no capability'),
    async run(ctx) {
      const off = disabled(ctx);
      if (off) return off;
      const capabilityArgs = claimedCapabilityArgs(ctx);
      const att = await ctx.attachment();
      await step(`ADD with ${Object.keys(capabilityArgs).join(', ')}`, () => ctx.add(att, { capabilityArgs }));
      const error = await attempt(() => ctx.check(att, { capabilityArgs }));
      await attempt(() => ctx.del(att, { capabilityArgs }));
      return error ? fail(`CHECK failed: ${error}`) : pass(`with ${Object.keys(capabilityArgs).join(', ')}`);
    },
  },
  {
    id: 'check.after-damage',
    area: 'check',
    title: 'CHECK fails when the interface or an address of the result is gone',
    clause: 'SPEC §2 "CHECK" (plugin considerations)',
    level: 'SHOULD',
    notApplicable: checkApplies,
    async run(ctx) {
      const off = disabled(ctx);
      if (off) return off;
      const problems = new Problems();
      const noticed: string[] = [];
      for (const damage of damages) {
        const att = await ctx.attachment();
        const result = await step('ADD', () => ctx.add(att));
        const before = await attempt(() => ctx.check(att));
        if (before) {
          problems.add(`CHECK fails before any damage (${before})`);
          break;
        }
        let what: string;
        try {
          what = await damage.apply(att, convertResult(result, ctx.version));
        } catch (e) {
          problems.add(`could not apply the damage "${damage.name}": ${(e as Error).message}`);
          continue;
        }
        const error = await attempt(() => ctx.check(att));
        if (error) noticed.push(`${damage.name}: ${error.slice(0, 120)}`);
        else problems.add(`CHECK passed after ${what}`);
      }
      return problems.verdict(noticed.join('; '));
    },
  },
];
