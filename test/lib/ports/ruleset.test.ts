import { describe, expect, it } from 'vitest';
import { Transaction } from '../../../lib/nft/transaction.js';
import type { NftSet } from '../../../lib/nft/objects.js';
import { declarePorts, dnatMapName, PORTS_SETS, portsObjects, portsRules, targetSetName } from '../../../lib/ports/ruleset.js';

describe('the fixed ruleset', () => {
  it('renders declarations, flushes and rules in one input', () => {
    expect(declarePorts(new Transaction('cni_zones')).render().split('\n')).toEqual([
      'add table inet cni_zones',
      'add map inet cni_zones ports_any_v4 { type inet_proto . inet_service : ipv4_addr . inet_service ; }',
      'add map inet cni_zones ports_addr_v4 { type inet_proto . ipv4_addr . inet_service : ipv4_addr . inet_service ; }',
      'add map inet cni_zones ports_any_v6 { type inet_proto . inet_service : ipv6_addr . inet_service ; }',
      'add map inet cni_zones ports_addr_v6 { type inet_proto . ipv6_addr . inet_service : ipv6_addr . inet_service ; }',
      'add set inet cni_zones ports_nolocal_v4 { type inet_proto . inet_service ; }',
      'add set inet cni_zones ports_targets_v4 { type ipv4_addr ; }',
      'add set inet cni_zones ports_hairpin_v4 { type ipv4_addr . ipv4_addr ; flags interval ; }',
      'add set inet cni_zones ports_targets_v6 { type ipv6_addr ; }',
      'add set inet cni_zones ports_hairpin_v6 { type ipv6_addr . ipv6_addr ; flags interval ; }',
      'add chain inet cni_zones ports_dnat',
      'add chain inet cni_zones ports_prerouting { type nat hook prerouting priority -100 ; policy accept ; }',
      'add chain inet cni_zones ports_output { type nat hook output priority -100 ; policy accept ; }',
      'add chain inet cni_zones ports_postrouting { type nat hook postrouting priority 100 ; policy accept ; }',
      'add chain inet cni_zones ports_guard { type filter hook input priority 0 ; policy accept ; }',
      'flush chain inet cni_zones ports_prerouting',
      'flush chain inet cni_zones ports_output',
      'flush chain inet cni_zones ports_dnat',
      'flush chain inet cni_zones ports_postrouting',
      'flush chain inet cni_zones ports_guard',
      'add rule inet cni_zones ports_prerouting ip daddr 127.0.0.0/8 return',
      'add rule inet cni_zones ports_prerouting ip6 daddr ::1 return',
      'add rule inet cni_zones ports_prerouting fib daddr type local jump ports_dnat',
      'add rule inet cni_zones ports_output ip6 daddr ::1 return',
      'add rule inet cni_zones ports_output fib daddr type local jump ports_dnat',
      'add rule inet cni_zones ports_dnat meta nfproto ipv4 dnat ip to meta l4proto . ip daddr . th dport map @ports_addr_v4',
      'add rule inet cni_zones ports_dnat ip daddr 127.0.0.0/8 meta l4proto . th dport @ports_nolocal_v4 return',
      'add rule inet cni_zones ports_dnat meta nfproto ipv4 dnat ip to meta l4proto . th dport map @ports_any_v4',
      'add rule inet cni_zones ports_dnat meta nfproto ipv6 dnat ip6 to meta l4proto . ip6 daddr . th dport map @ports_addr_v6',
      'add rule inet cni_zones ports_dnat meta nfproto ipv6 dnat ip6 to meta l4proto . th dport map @ports_any_v6',
      'add rule inet cni_zones ports_postrouting ct status dnat ip daddr @ports_targets_v4 ip saddr 127.0.0.0/8 masquerade',
      'add rule inet cni_zones ports_postrouting ct status dnat ip daddr @ports_targets_v4 ip saddr . ip daddr @ports_hairpin_v4 masquerade',
      'add rule inet cni_zones ports_postrouting ct status dnat ip6 daddr @ports_targets_v6 ip6 saddr . ip6 daddr @ports_hairpin_v6 masquerade',
      'add rule inet cni_zones ports_guard iifname != "lo" ip daddr 127.0.0.0/8 ct status & dnat == 0 ct state != { established, related } drop',
      '',
    ]);
  });

  it('never DNATs ::1 and never takes 127.0.0.0/8 from outside', () => {
    const text = portsRules().map((r) => `${r.chain}: ${r.rule}`);
    expect(text.indexOf('ports_output: ip6 daddr ::1 return')).toBeLessThan(
      text.indexOf('ports_output: fib daddr type local jump ports_dnat'),
    );
    expect(text.indexOf('ports_prerouting: ip daddr 127.0.0.0/8 return')).toBe(0);
    expect(text.filter((line) => line.includes('127.0.0.1') || line.includes('dnat ip6 to ::1'))).toEqual([]);
  });

  it('has no rule that grows with mappings or names a container', () => {
    expect(portsRules()).toHaveLength(14);
    expect(portsRules().every((rule) => rule.comment === undefined)).toBe(true);
  });

  it("lists every set and map that holds attachment elements; the hairpin pairs are nobody's", () => {
    expect([...PORTS_SETS].sort()).toEqual(
      [
        'ports_nolocal_v4',
        targetSetName(4),
        targetSetName(6),
        dnatMapName(4, true),
        dnatMapName(4, false),
        dnatMapName(6, true),
        dnatMapName(6, false),
      ].sort(),
    );
  });

  it('keeps interval sets (whose elements nft reads before every change) out of per-container data', () => {
    const intervalSets = portsObjects()
      .filter((o): o is NftSet => o.kind === 'set' && o.flags?.includes('interval') === true)
      .map((set) => set.name);
    expect(intervalSets).toEqual(['ports_hairpin_v4', 'ports_hairpin_v6']);
    expect(intervalSets.filter((name) => PORTS_SETS.has(name))).toEqual([]);
  });
});
