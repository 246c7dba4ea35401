// What port publishing left in a namespace and a state directory, counted, for tests that
// compare before and after: the elements of our table (by owner tag), the records and temp
// files in the ports state directory.

import { readdirSync } from 'node:fs';
import { nsExec, type Netns } from './netns.js';

interface ListedSet {
  name: string;
  elem?: unknown[];
}

/** The comment of a listed element, whatever shape nft gave it (`{elem: {comment}}` or `[key, value]`). */
function commentOf(entry: unknown): string | undefined {
  const key = Array.isArray(entry) ? entry[0] : entry;
  return (key as { elem?: { comment?: string } } | undefined)?.elem?.comment;
}

/** Every element of table inet cni_zones with its set and comment; none when the table is gone. */
export async function tableElements(ns: Netns): Promise<{ set: string; comment: string | undefined }[]> {
  const { stdout, exitCode } = await nsExec(ns, 'nft', ['-j', 'list', 'table', 'inet', 'cni_zones'], { reject: false });
  if (exitCode !== 0) return [];
  const items = (JSON.parse(stdout) as { nftables: Record<string, ListedSet>[] }).nftables;
  return items.flatMap((item) => {
    const set = item.set ?? item.map;
    return (set?.elem ?? []).map((entry) => ({ set: set!.name, comment: commentOf(entry) }));
  });
}

/** How many elements carry a tag that names `containerId` (`ports <network> <id> <ifname>`). */
export async function elementsOf(ns: Netns, containerId: string): Promise<number> {
  return (await tableElements(ns)).filter((e) => e.comment?.split(' ')[2] === containerId).length;
}

/** The files of a directory, sorted; none when it does not exist. */
export function filesIn(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

/** The attachments' records in a ports state directory (beside them: the localnet lock and markers). */
export function recordsIn(dir: string): string[] {
  return filesIn(dir).filter((name) => name.endsWith('.json'));
}
