// ADD (SPEC §2 "ADD", §5 "ADD Success"): the interface appears in the container under the
// requested name, the result has the shape of the requested version, an existing name is
// refused, and one container may hold several attachments under different names.
import type { Result } from '../../lib/cni/types.js';
import { versionAtLeast } from '../../lib/cni/version.js';
import { fail, pass, Problems, type ConformanceCase } from '../case.js';
import { addChain, delChain } from '../chain.js';
import type { Attachment, CaseContext } from '../context.js';
import { createVethPair, hasAddress, link } from '../ip.js';
import { claimsVersion, SPEC_VERSIONS } from '../profile.js';
import { addressesOf, containerInterfaceIndex, resultShapeProblems } from '../result-shape.js';
import { attempt, step } from './common.js';

// Cleanup within the case; the sandbox removes whatever a failing DEL leaves.
async function removeQuietly(ctx: CaseContext, att: Attachment, version: string, prevResult?: Result): Promise<void> {
  await delChain(ctx, att, { version, ...(prevResult && versionAtLeast(version, '0.4.0') && { prevResult }) });
}

function versionCase(version: string): ConformanceCase {
  return {
    id: `add.version@${version}`,
    area: 'add',
    title: `ADD at ${version} creates CNI_IFNAME in CNI_NETNS and returns a ${version} result`,
    clause: 'SPEC §2 "ADD"; §5 "ADD Success"',
    level: 'MUST',
    notApplicable: (profile) => (claimsVersion(profile, version) ? undefined : `the set does not claim ${version}`),
    async run(ctx) {
      const att = await ctx.attachment();
      const run = await addChain(ctx, att, { version });
      if (run.failure) return fail(run.failure);
      const problems = new Problems();
      // Every plugin of the chain prints a result, not only the last one.
      for (const s of run.steps) problems.addAll(resultShapeProblems(s.json, version), `result of ${s.type}`);
      const created = await link(att.netns, att.ifname);
      if (!created) problems.add(`no interface ${att.ifname} in the container namespace`);
      await removeQuietly(ctx, att, version, run.result);
      return problems.verdict(`${att.ifname} created; result is a valid ${version} result`);
    },
  };
}

export const addCases: ConformanceCase[] = [
  ...SPEC_VERSIONS.map(versionCase),
  {
    id: 'add.describes-container',
    area: 'add',
    title: "the result lists CNI_IFNAME with sandbox = CNI_NETNS, and its MAC and IPs are the interface's",
    clause: 'SPEC §5 "ADD Success" (interfaces, ips)',
    level: 'SHOULD',
    async run(ctx) {
      const att = await ctx.attachment();
      const run = await addChain(ctx, att);
      if (run.failure) return fail(run.failure);
      const problems = new Problems();
      const index = containerInterfaceIndex(run.output, att.ifname);
      const info = await link(att.netns, att.ifname);
      const listed = index === undefined ? undefined : (run.result?.interfaces?.[index] ?? undefined);
      if (!listed) problems.add(`the result lists no interface named ${att.ifname}`);
      else if (listed.sandbox !== att.netns.path)
        problems.add(`interface ${att.ifname} has sandbox ${JSON.stringify(listed.sandbox)}, expected ${att.netns.path}`);
      if (!info) problems.add(`no interface ${att.ifname} in the container namespace`);
      if (listed?.mac && info?.mac && listed.mac.toLowerCase() !== info.mac.toLowerCase()) {
        problems.add(`the result says MAC ${listed.mac}, the interface has ${info.mac}`);
      }
      const addresses = addressesOf(run.output, index);
      if (index !== undefined && addresses.length === 0) problems.add(`the result assigns no IP to ${att.ifname}`);
      for (const address of addresses)
        if (info && !hasAddress(info, address))
          problems.add(`${address} is in the result but not on ${att.ifname} (${info.addresses.join(', ')})`);
      await removeQuietly(ctx, att, ctx.version, run.result);
      return problems.verdict(`${att.ifname} in ${att.netns.name} with ${addresses.join(', ')}`);
    },
  },
  {
    id: 'add.existing-ifname',
    area: 'add',
    title: 'ADD fails when an interface named CNI_IFNAME already exists in the container',
    clause: 'SPEC §2 "ADD"',
    level: 'MUST',
    async run(ctx) {
      const att = await ctx.attachment();
      await createVethPair(att.netns, att.ifname, 'czt-peer0');
      const error = await attempt(() => ctx.add(att));
      return error ? pass(`refused: ${error}`) : fail(`ADD succeeded although ${att.ifname} already existed`);
    },
  },
  {
    id: 'add.custom-ifname',
    area: 'add',
    title: 'ADD uses the CNI_IFNAME it is given (net1)',
    clause: 'SPEC §2 "Parameters" (CNI_IFNAME); §2 "ADD"',
    level: 'MUST',
    async run(ctx) {
      const att = await ctx.attachment({ ifname: 'net1' });
      await step('ADD with CNI_IFNAME=net1', () => ctx.add(att));
      const info = await link(att.netns, 'net1');
      await attemptDel(ctx, att);
      return info ? pass() : fail('no interface net1 in the container namespace');
    },
  },
  {
    id: 'add.second-ifname',
    area: 'add',
    title: 'one container can be attached twice under different interface names',
    clause: 'SPEC §2 "ADD" (container ID and interface name)',
    level: 'SHOULD',
    async run(ctx) {
      const first = await ctx.attachment();
      const second: Attachment = { ...first, ifname: 'net1' };
      await step(`ADD of ${first.ifname}`, () => ctx.add(first));
      await step(`ADD of ${second.ifname} to the same container`, () => ctx.add(second));
      const problems = new Problems();
      for (const att of [first, second]) if (!(await link(att.netns, att.ifname))) problems.add(`${att.ifname} is missing`);
      problems.add(await attemptDel(ctx, second));
      problems.add(await attemptDel(ctx, first));
      return problems.verdict();
    },
  },
];

async function attemptDel(ctx: CaseContext, att: Attachment): Promise<string | undefined> {
  const error = await attempt(() => ctx.del(att));
  return error && `DEL of ${att.ifname} failed: ${error}`;
}
