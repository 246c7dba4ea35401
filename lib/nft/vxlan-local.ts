// What a zone's own host serves stays on that host when the zone spans hosts: networkd's DHCPv4
// server on each `vz-<zone>` bridge hands leases from its own host's pool, and its router
// advertisements (IPv6SendRA=) make its own host the default router, so neither may cross the
// bridge's VXLAN port `vx-<zone>` to the other hosts' members, nor their requests reach us.
// Frames between two ports of one bridge, and frames a bridge delivers to or sends from the
// host, are seen with their port only in the nftables bridge family, so this lives in our
// `bridge cni_zones` table (our-table.ts), which holds nothing else: three filter chains, one
// per hook, each dropping every DHCPv4 message (UDP to 67 or 68) and every router solicitation
// and advertisement (ICMPv6 133, 134) that comes in by or goes out through a `vx-*` port:
//
//   forward  bridged between a local port and a VXLAN port, either way: a foreign client's
//            DISCOVER, a foreign server's OFFER and RA, our members' DISCOVER and RS
//   input    delivered to the host from a VXLAN port: a foreign DISCOVER or RS for our server
//   output   sent by the host out of a VXLAN port: our OFFER or RA (measured: a frame the host
//            floods passes this hook once per port, with that port as oifname)
//
// Each host's chains alone keep both directions (measured with either host's rules only), so a
// host protects its pool and its members whatever its peers run. Everything else (ARP, neighbour
// discovery, unicast between members) crosses as before.
//
// The rules match every VXLAN port by its prefix (`vx-*`: the kernel here has no bridge-name
// match), so one static table serves every multi-host zone of the host and knows no zone; a port
// named `vx-…` on a bridge that is no zone is filtered alike.
//
// For the zone plugin (the caller takes care of when):
//   keepZoneTrafficLocal(ourTable(executor, 'bridge'))      ADD of a zone with a VXLAN port, and
//                                                           `zonectl repair`: idempotent, one
//                                                           listing when in place (under a ms),
//                                                           else one transaction
//   stopKeepingZoneTrafficLocal(ourTable(executor, 'bridge'))  once no `vx-*` port is left on the host
//   zoneTrafficLocalProblems(ourTable(executor, 'bridge'))  CHECK, `zonectl status`: [] when in place
//   localTrafficProblems(listing)                           the same for a listing already read
// Concurrent calls need no lock: the transaction builds the table whole, so two ADDs leave one
// copy; a removal racing an ADD is the caller's to order.
import { CniError, ErrorCode } from '../cni/errors.js';
import type { Listing } from './listing.js';
import type { Chain, Hook, NftObject, Rule } from './objects.js';
import type { NftTable } from './table.js';

/** Every multi-host zone's VXLAN port is `vx-<zone>`. */
const VXLAN_PORTS = '"vx-*"';

const kept = [
  { what: 'DHCPv4', match: 'udp dport { 67, 68 }' },
  { what: 'router discovery', match: 'icmpv6 type { nd-router-solicit, nd-router-advert }' },
] as const;

type Direction = 'from' | 'to';

const hooks: readonly { hook: Hook; directions: readonly Direction[] }[] = [
  { hook: 'forward', directions: ['from', 'to'] },
  { hook: 'input', directions: ['from'] },
  { hook: 'output', directions: ['to'] },
];

const chainName = (hook: Hook) => `vxlan_local_${hook}`;

function chainOf(hook: Hook): Chain {
  return { kind: 'chain', name: chainName(hook), type: 'filter', hook, priority: 0, policy: 'accept' };
}

/** The chains' rules, in order; their comments are how a listing (which gives no rule text) tells them. */
export function vxlanLocalRules(): Rule[] {
  return hooks.flatMap(({ hook, directions }) =>
    directions.flatMap((direction) =>
      kept.map(
        ({ what, match }): Rule => ({
          kind: 'rule',
          chain: chainName(hook),
          rule: `${direction === 'from' ? 'iifname' : 'oifname'} ${VXLAN_PORTS} ${match} drop`,
          comment: `local: no ${what} ${direction} a VXLAN port`,
        }),
      ),
    ),
  );
}

function vxlanLocalObjects(): NftObject[] {
  return [{ kind: 'table' }, ...hooks.map(({ hook }) => chainOf(hook))];
}

function requireBridgeTable(table: NftTable): NftTable {
  if (table.family !== 'bridge') {
    throw new CniError(ErrorCode.Internal, `VXLAN ports are filtered in a bridge table, not in ${table.family} ${table.name}`);
  }
  return table;
}

/** What differs from the chains and rules as vxlanLocalRules writes them; empty when in place. */
export function localTrafficProblems(listing: Listing | undefined): string[] {
  if (listing === undefined) return ['table bridge cni_zones missing'];
  const rules = vxlanLocalRules();
  return hooks.flatMap(({ hook }): string[] => {
    const want = chainOf(hook);
    const chain = listing.chains.find((c) => c.name === want.name);
    if (chain === undefined) return [`chain ${want.name} missing`];
    if (chain.type !== want.type || chain.hook !== hook || chain.priority !== want.priority || chain.policy !== want.policy) {
      return [`chain ${want.name} is not a filter chain on the ${hook} hook`];
    }
    const wanted = rules.filter((rule) => rule.chain === want.name).map((rule) => rule.comment);
    const have = listing.rules.filter((rule) => rule.chain === want.name).map((rule) => rule.comment);
    const same = have.length === wanted.length && have.every((comment, i) => comment === wanted[i]);
    return same ? [] : [`chain ${want.name} has ${have.length} rules, not its ${wanted.length}`];
  });
}

/** Whether DHCPv4 and router discovery are kept off every VXLAN port: the problems, [] when in place. */
export async function zoneTrafficLocalProblems(table: NftTable): Promise<string[]> {
  return localTrafficProblems(await requireBridgeTable(table).list());
}

/**
 * Put the chains in place unless they are: one listing, and only when something differs, one
 * transaction that builds the table anew (whatever was changed in it, a chain hooked elsewhere
 * included; the kernel swaps old for new at once, so no packet passes unfiltered meanwhile).
 * Resolves to whether it changed anything.
 */
export async function keepZoneTrafficLocal(table: NftTable): Promise<boolean> {
  if ((await zoneTrafficLocalProblems(table)).length === 0) return false;
  await table.apply(table.transaction().destroy({ kind: 'table' }).add(vxlanLocalObjects()).add(vxlanLocalRules()));
  return true;
}

/** Remove the bridge table (it holds these chains alone), when it is there; resolves to whether it was. */
export async function stopKeepingZoneTrafficLocal(table: NftTable): Promise<boolean> {
  if (!(await requireBridgeTable(table).exists())) return false;
  await table.apply(table.transaction().destroy({ kind: 'table' }));
  return true;
}
