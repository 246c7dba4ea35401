// The fixed part of port publishing in our table: maps, sets, chains and rules that never
// name a container, so a packet's cost does not grow with mappings (hash lookups), and neither
// does an ADD's: nft reads an interval set's elements before changing it, so the only interval
// sets hold one pair per subnet, never one entry per container.
//
//   prerouting (nat, -100)  traffic from elsewhere to a local address → ports_dnat;
//                           127.0.0.0/8 and ::1 are never DNATed here (hostIP 127.0.0.1 = this host only)
//   output     (nat, -100)  the host's own traffic to any local address, 127.0.0.0/8 included → ports_dnat;
//                           ::1 never (the kernel cannot route it out: a DNAT would turn a refusal into a hang)
//   ports_dnat              proto . hostIP . port first, then proto . port; localhost off for a
//                           mapping = its key in ports_nolocal_v4
//   postrouting (nat, 100)  DNATed flows to a published container (ports_targets_*) are masqueraded
//                           when they come from 127.0.0.0/8 (localhost), or from the container's own
//                           subnet (hairpin: the reply would bypass the host; ports_hairpin_* holds
//                           subnet . subnet pairs, shared by every container of the subnet)
//   guard (filter input, 0) CVE-2020-8558, as kube-proxy does it: with route_localnet on, nothing
//                           that did not come from lo may reach 127.0.0.0/8 unless DNATed or established
//
// Each ADD declares all of it again (`add` is idempotent) and rewrites the rules (flush + add,
// in the same transaction), so a table flushed away comes back whole with the next ADD.
import type { IpFamily } from '../ip/index.js';
import type { Chain, NftMap, NftObject, NftSet, Rule } from '../nft/objects.js';
import type { Transaction } from '../nft/transaction.js';

const familyWords = {
  4: { suffix: 'v4', match: 'ip', addr: 'ipv4_addr', nfproto: 'ipv4' },
  6: { suffix: 'v6', match: 'ip6', addr: 'ipv6_addr', nfproto: 'ipv6' },
} as const;

export const FAMILIES: readonly IpFamily[] = [4, 6];

/** DNAT map of a family: keyed by proto . port (`specific` false) or proto . hostIP . port. */
export function dnatMapName(family: IpFamily, specific: boolean): string {
  return `ports_${specific ? 'addr' : 'any'}_${familyWords[family].suffix}`;
}

/** proto . port of mappings without localhost exposure (IPv4 only: IPv6 loopback is never DNATed). */
export const NOLOCAL_SET = 'ports_nolocal_v4';

/** Addresses of containers with published ports (one owned entry per container). */
export function targetSetName(family: IpFamily): string {
  return `ports_targets_${familyWords[family].suffix}`;
}

/** subnet . subnet pairs: sources that must be masqueraded to reach a target of their own subnet. */
export function hairpinSetName(family: IpFamily): string {
  return `ports_hairpin_${familyWords[family].suffix}`;
}

export const CHAINS = {
  prerouting: 'ports_prerouting',
  output: 'ports_output',
  dnat: 'ports_dnat',
  postrouting: 'ports_postrouting',
  guard: 'ports_guard',
} as const;

/** Every set and map whose elements belong to attachments (carry an owner tag). */
export const PORTS_SETS: ReadonlySet<string> = new Set([
  ...FAMILIES.flatMap((family) => [dnatMapName(family, false), dnatMapName(family, true), targetSetName(family)]),
  NOLOCAL_SET,
]);

/** The sets of shared elements (owned by no attachment, never removed). */
export const SHARED_SETS: ReadonlySet<string> = new Set(FAMILIES.map(hairpinSetName));

/** The comment of the shared subnet pairs: no attachment owns them, none removes them. */
export const SHARED_TAG = 'ports shared';

function maps(): NftMap[] {
  return FAMILIES.flatMap((family): NftMap[] => {
    const { addr } = familyWords[family];
    const valueType = `${addr} . inet_service`;
    return [
      { kind: 'map', name: dnatMapName(family, false), type: 'inet_proto . inet_service', valueType },
      { kind: 'map', name: dnatMapName(family, true), type: `inet_proto . ${addr} . inet_service`, valueType },
    ];
  });
}

function sets(): NftSet[] {
  return [
    { kind: 'set', name: NOLOCAL_SET, type: 'inet_proto . inet_service' },
    ...FAMILIES.flatMap((family): NftSet[] => {
      const { addr } = familyWords[family];
      return [
        { kind: 'set', name: targetSetName(family), type: addr },
        { kind: 'set', name: hairpinSetName(family), type: `${addr} . ${addr}`, flags: ['interval'] },
      ];
    }),
  ];
}

function chains(): Chain[] {
  return [
    { kind: 'chain', name: CHAINS.dnat },
    { kind: 'chain', name: CHAINS.prerouting, type: 'nat', hook: 'prerouting', priority: 'dstnat', policy: 'accept' },
    // nft 1.0.6 rejects the name `dstnat` on the output hook; the number is what it means.
    { kind: 'chain', name: CHAINS.output, type: 'nat', hook: 'output', priority: -100, policy: 'accept' },
    { kind: 'chain', name: CHAINS.postrouting, type: 'nat', hook: 'postrouting', priority: 'srcnat', policy: 'accept' },
    { kind: 'chain', name: CHAINS.guard, type: 'filter', hook: 'input', priority: 'filter', policy: 'accept' },
  ];
}

/** Table, maps, sets and chains. */
export function portsObjects(): NftObject[] {
  return [{ kind: 'table' }, ...maps(), ...sets(), ...chains()];
}

function rule(chain: string, text: string): Rule {
  return { kind: 'rule', chain, rule: text };
}

function dnatRules(): Rule[] {
  return FAMILIES.flatMap((family): Rule[] => {
    const { match, nfproto } = familyWords[family];
    const specific = rule(
      CHAINS.dnat,
      `meta nfproto ${nfproto} dnat ${match} to meta l4proto . ${match} daddr . th dport map @${dnatMapName(family, true)}`,
    );
    const any = rule(CHAINS.dnat, `meta nfproto ${nfproto} dnat ${match} to meta l4proto . th dport map @${dnatMapName(family, false)}`);
    if (family === 6) return [specific, any];
    return [specific, rule(CHAINS.dnat, `ip daddr 127.0.0.0/8 meta l4proto . th dport @${NOLOCAL_SET} return`), any];
  });
}

/** The rules of every chain, in order; they never mention a container. */
export function portsRules(): Rule[] {
  return [
    rule(CHAINS.prerouting, 'ip daddr 127.0.0.0/8 return'),
    rule(CHAINS.prerouting, 'ip6 daddr ::1 return'),
    rule(CHAINS.prerouting, `fib daddr type local jump ${CHAINS.dnat}`),
    rule(CHAINS.output, 'ip6 daddr ::1 return'),
    rule(CHAINS.output, `fib daddr type local jump ${CHAINS.dnat}`),
    ...dnatRules(),
    rule(CHAINS.postrouting, `ct status dnat ip daddr @${targetSetName(4)} ip saddr 127.0.0.0/8 masquerade`),
    ...FAMILIES.map((family) => {
      const { match } = familyWords[family];
      return rule(
        CHAINS.postrouting,
        `ct status dnat ${match} daddr @${targetSetName(family)} ${match} saddr . ${match} daddr @${hairpinSetName(family)} masquerade`,
      );
    }),
    rule(CHAINS.guard, 'iifname != "lo" ip daddr 127.0.0.0/8 ct status & dnat == 0 ct state != { established, related } drop'),
  ];
}

/** Declare everything and rewrite the rules: after this the fixed part is exactly as above. */
export function declarePorts(tx: Transaction): Transaction {
  tx.add(...portsObjects());
  tx.flush(...Object.values(CHAINS).map((name) => ({ kind: 'chain' as const, name })));
  return tx.add(...portsRules());
}
