// What a node's conflist is made from, read out of its Node object as the API server returns
// it: the pod subnets the controller manager gave the node (`spec.podCIDRs`, or the older
// single `spec.podCIDR`) and its InternalIP addresses (`status.addresses`). Everything is
// checked here, before anything is written: the name must be the node asked for, each subnet
// a subnet (written as its network address) with room for a gateway and pods, at most one per
// family, each address an address. A Node without pod subnets is valid: the controller
// manager may not have assigned them yet, and the caller waits.
import * as z from 'zod/mini';
import { describeIssues } from '../../../lib/cni/schema.js';
import { type Address, familyBits, formatSubnet, parseAddress, type Subnet } from '../../../lib/ip/index.js';
import { CommandError } from '../errors.js';
import { parseSubnet } from './settings.js';

export interface NodeFacts {
  name: string;
  /** In the order the Node lists them (the first is the primary family); empty while none is assigned. */
  podSubnets: Subnet[];
  internalIps: Address[];
}

/** A subnet needs a gateway and at least one pod address (IPv4: also its network and broadcast address). */
const LONGEST_PREFIX = { 4: 30, 6: 126 } as const;

function nodeSchema() {
  return z.looseObject({
    metadata: z.looseObject({ name: z.string() }),
    spec: z.optional(
      z.looseObject({
        podCIDR: z.optional(z.string()),
        podCIDRs: z.optional(z.array(z.string())),
      }),
    ),
    status: z.optional(
      z.looseObject({
        addresses: z.optional(z.array(z.looseObject({ type: z.string(), address: z.string() }))),
      }),
    ),
  });
}

function badNode(name: string, what: string, details = ''): CommandError {
  return new CommandError(`the Node ${name} from the API server is not usable: ${what}`, '', details);
}

function podSubnet(name: string, text: string, field: string): Subnet {
  const subnet = parseSubnet(text);
  if (!subnet) throw badNode(name, `${field} ${JSON.stringify(text)} is not a subnet written as its network address`);
  const longest = LONGEST_PREFIX[subnet.network.family];
  if (subnet.prefix > longest)
    throw badNode(
      name,
      `${field} ${text} is too small: a /${longest} or larger holds a gateway and pods (of /${familyBits(subnet.network.family)})`,
    );
  return subnet;
}

function podSubnets(name: string, spec: { podCIDR?: string; podCIDRs?: string[] } | undefined): Subnet[] {
  const texts = spec?.podCIDRs?.length ? spec.podCIDRs : spec?.podCIDR ? [spec.podCIDR] : [];
  const field = spec?.podCIDRs?.length ? 'spec.podCIDRs' : 'spec.podCIDR';
  const subnets = texts.map((text, i) => podSubnet(name, text, spec?.podCIDRs?.length ? `${field}[${i}]` : field));
  if (subnets.length > 2 || new Set(subnets.map((s) => s.network.family)).size !== subnets.length)
    throw badNode(name, `${field} ${subnets.map((s) => formatSubnet(s)).join(', ')}: expected one subnet per family (IPv4, IPv6)`);
  if (spec?.podCIDR && spec.podCIDRs?.length && parseSubnet(spec.podCIDR)?.network.value !== subnets[0]?.network.value)
    throw badNode(name, `spec.podCIDR ${spec.podCIDR} is not the first of spec.podCIDRs (${spec.podCIDRs.join(', ')})`);
  return subnets;
}

function internalIps(name: string, addresses: readonly { type: string; address: string }[]): Address[] {
  return addresses
    .filter((a) => a.type === 'InternalIP')
    .map((a) => {
      const address = parseAddress(a.address);
      if (!address) throw badNode(name, `status.addresses holds the InternalIP ${JSON.stringify(a.address)}, which is no IP address`);
      return address;
    });
}

/** The facts of the Node object `value`, which the API server returned for `name`. */
export function nodeFacts(name: string, value: unknown): NodeFacts {
  const parsed = nodeSchema().safeParse(value);
  if (!parsed.success) throw badNode(name, 'it does not have the shape of a Node', describeIssues(parsed.error));
  const node = parsed.data;
  if (node.metadata.name !== name) throw badNode(name, `it is named ${JSON.stringify(node.metadata.name)}`);
  return { name, podSubnets: podSubnets(name, node.spec), internalIps: internalIps(name, node.status?.addresses ?? []) };
}
