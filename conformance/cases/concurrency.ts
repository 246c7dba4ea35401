// Concurrency (SPEC §3 "Lifecycle & Ordering"): plugins run in parallel for different
// containers on one network, and shared state (IPAM) stays consistent: every ADD succeeds
// with an address of its own, every DEL succeeds.
import type { Result } from '../../lib/cni/types.js';
import { Problems, type ConformanceCase } from '../case.js';
import type { Attachment, CaseContext } from '../context.js';
import { bareAddress, link } from '../ip.js';
import { attempt, describeError } from './common.js';

const CONCURRENT_ATTACHMENTS = 6;

interface Added {
  att: Attachment;
  result?: Result;
  error?: string;
}

async function addOne(ctx: CaseContext, att: Attachment): Promise<Added> {
  try {
    return { att, result: await ctx.add(att) };
  } catch (e) {
    return { att, error: describeError(e) };
  }
}

export const concurrencyCases: ConformanceCase[] = [
  {
    id: 'concurrency.distinct-ips',
    area: 'concurrency',
    title: `${CONCURRENT_ATTACHMENTS} parallel ADDs on one network all succeed with distinct addresses; parallel DELs succeed`,
    clause: 'SPEC §3 "Lifecycle & Ordering" (concurrency, locking)',
    level: 'MUST',
    async run(ctx) {
      const atts = await Promise.all(Array.from({ length: CONCURRENT_ATTACHMENTS }, () => ctx.attachment()));
      const added = await Promise.all(atts.map((att) => addOne(ctx, att)));
      const problems = new Problems();
      const owners = new Map<string, string>();
      for (const { att, result, error } of added) {
        if (error) {
          problems.add(`ADD of ${att.containerId} failed: ${error}`);
          continue;
        }
        for (const ip of result?.ips ?? []) {
          const address = bareAddress(ip.address);
          const owner = owners.get(address);
          if (owner) problems.add(`${address} given to both ${owner} and ${att.containerId}`);
          owners.set(address, att.containerId);
        }
        if (!(await link(att.netns, att.ifname))) problems.add(`${att.containerId} has no ${att.ifname}`);
      }
      const dels = await Promise.all(atts.map(async (att) => ({ att, error: await attempt(() => ctx.del(att)) })));
      for (const { att, error } of dels) problems.add(error && `DEL of ${att.containerId} failed: ${error}`);
      return problems.verdict(`${owners.size} distinct addresses`);
    },
  },
];
