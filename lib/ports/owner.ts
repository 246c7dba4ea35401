// Who published a host port: the attachment (network, container ID, ifname), written as the
// comment of every element it owns, so DEL, GC and conflict messages find and name exactly
// one attachment's entries. A comment holds at most 128 characters of a small alphabet: a
// part that does not fit is replaced by `=` and a hash of it, the same way every time.
import { sha256Hex } from '../hash/sha256.js';
import type { Attachment } from '../cni/types.js';

/** The attachment that published a port. */
export type Owner = Attachment;

const PREFIX = 'ports';
const COMMENT_LIMIT = 128;
const NETWORK_LIMIT = 32;
const IFNAME_LIMIT = 15;
// The comment alphabet of lib/nft/tokens.ts, minus space (our separator) and a leading `=` (our hash marker).
const plainPart = /^[A-Za-z0-9_.:@+,()-][A-Za-z0-9_.:@+=,()-]*$/;

function hashed(value: string): string {
  return `=${sha256Hex(value).slice(0, 16)}`;
}

function part(value: string, limit: number): string {
  return value.length <= limit && plainPart.test(value) ? value : hashed(value);
}

/** The network as it appears in tags (GC compares this part). */
export function networkPart(network: string): string {
  return part(network, NETWORK_LIMIT);
}

/** `ports <network> <containerId> <ifname>`, at most 128 characters of the comment alphabet. */
export function ownerTag(owner: Owner): string {
  const network = networkPart(owner.network);
  const ifname = part(owner.ifname, IFNAME_LIMIT);
  const room = COMMENT_LIMIT - PREFIX.length - network.length - ifname.length - 3;
  return [PREFIX, network, part(owner.containerId, room), ifname].join(' ');
}

/** An owner as its tag spells it: a part too long or odd for a comment stays hashed. */
export type TagParts = Attachment;

/** The parts of a tag as written (hashed parts stay hashed); undefined for other comments. */
export function parseOwnerTag(tag: string | undefined): TagParts | undefined {
  const parts = tag?.split(' ');
  if (parts?.length !== 4 || parts[0] !== PREFIX) return undefined;
  const [, network, containerId, ifname] = parts as [string, string, string, string];
  return { network, containerId, ifname };
}

/** For messages: `container abc (ifname eth0, network web)`. */
export function describeOwner(owner: Owner | TagParts): string {
  return `container ${owner.containerId} (ifname ${owner.ifname}, network ${owner.network})`;
}

/** describeOwner for the owner a tag names. */
export function describeTag(tag: string | undefined): string {
  const parts = parseOwnerTag(tag);
  if (parts === undefined) return tag === undefined ? 'an entry without owner' : `an entry tagged ${JSON.stringify(tag)}`;
  return describeOwner(parts);
}

/** Tags of the attachments GC must keep. */
export function validTags(network: string, attachments: readonly Attachment[]): Set<string> {
  return new Set(attachments.map((a) => ownerTag({ network, containerId: a.containerId, ifname: a.ifname })));
}

/** The file name of an owner's state record: a hash, so no name can escape the directory. */
export function stateFileName(owner: Owner): string {
  const digest = sha256Hex(`${owner.network}\0${owner.containerId}\0${owner.ifname}`);
  return `${digest.slice(0, 32)}.json`;
}
