import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../lib/cni/errors.js';
import { FakeNft } from '../../../lib/nft/fake.js';
import { ourTable } from '../../../lib/nft/our-table.js';
import {
  keepZoneTrafficLocal,
  localTrafficProblems,
  stopKeepingZoneTrafficLocal,
  vxlanLocalRules,
  zoneTrafficLocalProblems,
} from '../../../lib/nft/vxlan-local.js';

const dhcp = 'udp dport { 67, 68 } drop';
const discovery = 'icmpv6 type { nd-router-solicit, nd-router-advert } drop';
const chain = (hook: string) => `add chain bridge cni_zones vxlan_local_${hook} { type filter hook ${hook} priority 0 ; policy accept ; }`;
const rule = (hook: string, iif: 'iifname' | 'oifname', match: string, comment: string) =>
  `add rule bridge cni_zones vxlan_local_${hook} ${iif} "vx-*" ${match} comment "local: no ${comment}"`;

/** The bridge table as the fake dumps it once the rules are in place. */
const inPlace = [
  'add table bridge cni_zones',
  chain('forward'),
  chain('input'),
  chain('output'),
  rule('forward', 'iifname', dhcp, 'DHCPv4 from a VXLAN port'),
  rule('forward', 'iifname', discovery, 'router discovery from a VXLAN port'),
  rule('forward', 'oifname', dhcp, 'DHCPv4 to a VXLAN port'),
  rule('forward', 'oifname', discovery, 'router discovery to a VXLAN port'),
  rule('input', 'iifname', dhcp, 'DHCPv4 from a VXLAN port'),
  rule('input', 'iifname', discovery, 'router discovery from a VXLAN port'),
  rule('output', 'oifname', dhcp, 'DHCPv4 to a VXLAN port'),
  rule('output', 'oifname', discovery, 'router discovery to a VXLAN port'),
  '',
].join('\n');

// our inet table of the same name, and someone else's bridge table: neither is ever touched
const neighbours = 'add table inet cni_zones\nadd chain inet cni_zones vxlan_local_input\nadd table bridge filter\n';

function setUp(state = neighbours) {
  const nft = new FakeNft().load(state);
  return { nft, table: ourTable(nft, 'bridge') };
}

describe('keepZoneTrafficLocal', () => {
  it('puts the three chains in place in one transaction, beside the tables that are not its own', async () => {
    const { nft, table } = setUp();
    await expect(keepZoneTrafficLocal(table)).resolves.toBe(true);
    expect(nft.inputs).toHaveLength(1);
    expect(nft.dump()).toBe(`${inPlace}add table bridge filter\n${neighbours.split('\n').slice(0, 2).join('\n')}\n`);
  });

  it('only lists the table when the chains are in place', async () => {
    const { nft, table } = setUp();
    await keepZoneTrafficLocal(table);
    nft.calls.length = 0;
    await expect(keepZoneTrafficLocal(table)).resolves.toBe(false);
    expect(nft.calls.map((call) => call.args.join(' '))).toEqual(['-j list table bridge cni_zones']);
  });

  it.each([
    ['a chain gone', 'delete chain bridge cni_zones vxlan_local_output'],
    ['a chain emptied', 'flush chain bridge cni_zones vxlan_local_input'],
    ['a rule of someone else in a chain', 'add rule bridge cni_zones vxlan_local_forward accept'],
    [
      'a chain hooked elsewhere',
      'delete chain bridge cni_zones vxlan_local_output\nadd chain bridge cni_zones vxlan_local_output { type filter hook input priority 0 ; }',
    ],
    ['the table emptied', 'flush table bridge cni_zones'],
  ])('builds the table anew after %s', async (_, change) => {
    const { nft, table } = setUp();
    await keepZoneTrafficLocal(table);
    nft.load(change);
    expect(nft.dump()).not.toContain(inPlace);
    await expect(keepZoneTrafficLocal(table)).resolves.toBe(true);
    expect(nft.dump()).toContain(inPlace);
    await expect(zoneTrafficLocalProblems(table)).resolves.toEqual([]);
  });

  it('refuses any table but the bridge one, before nft is asked', async () => {
    const nft = new FakeNft();
    await expect(keepZoneTrafficLocal(ourTable(nft))).rejects.toMatchObject({ code: ErrorCode.Internal });
    await expect(zoneTrafficLocalProblems(ourTable(nft))).rejects.toThrow('VXLAN ports are filtered in a bridge table');
    await expect(stopKeepingZoneTrafficLocal(ourTable(nft))).rejects.toMatchObject({ code: ErrorCode.Internal });
    expect(nft.calls).toEqual([]);
  });
});

describe('zoneTrafficLocalProblems', () => {
  it('names what is missing or changed, and nothing once in place', async () => {
    const { nft, table } = setUp();
    await expect(zoneTrafficLocalProblems(table)).resolves.toEqual(['table bridge cni_zones missing']);
    await keepZoneTrafficLocal(table);
    await expect(zoneTrafficLocalProblems(table)).resolves.toEqual([]);
    nft.load(
      [
        'delete chain bridge cni_zones vxlan_local_output',
        'flush chain bridge cni_zones vxlan_local_input',
        'delete chain bridge cni_zones vxlan_local_forward',
        'add chain bridge cni_zones vxlan_local_forward { type filter hook forward priority -200 ; }',
      ].join('\n'),
    );
    await expect(zoneTrafficLocalProblems(table)).resolves.toEqual([
      'chain vxlan_local_forward is not a filter chain on the forward hook',
      'chain vxlan_local_input has 0 rules, not its 2',
      'chain vxlan_local_output missing',
    ]);
  });

  it('reads a listing already made the same way', () => {
    expect(localTrafficProblems(undefined)).toEqual(['table bridge cni_zones missing']);
    expect(localTrafficProblems({ table: { kind: 'table' }, chains: [], sets: [], maps: [], elements: [], rules: [] })).toEqual([
      'chain vxlan_local_forward missing',
      'chain vxlan_local_input missing',
      'chain vxlan_local_output missing',
    ]);
  });
});

describe('stopKeepingZoneTrafficLocal', () => {
  it('removes the bridge table and nothing else, and runs no transaction when it is gone', async () => {
    const { nft, table } = setUp();
    await keepZoneTrafficLocal(table);
    await expect(stopKeepingZoneTrafficLocal(table)).resolves.toBe(true);
    expect(nft.dump()).toBe('add table bridge filter\nadd table inet cni_zones\nadd chain inet cni_zones vxlan_local_input\n');
    nft.calls.length = 0;
    await expect(stopKeepingZoneTrafficLocal(table)).resolves.toBe(false);
    expect(nft.calls.map((call) => call.args.join(' '))).toEqual(['-t -j list table bridge cni_zones']);
  });
});

describe('vxlanLocalRules', () => {
  it('knows no zone: every rule drops by the VXLAN port prefix alone', () => {
    const rules = vxlanLocalRules();
    expect(rules).toHaveLength(8);
    for (const { rule } of rules) expect(rule).toMatch(/^[io]ifname "vx-\*" .* drop$/);
    expect(rules.map((r) => r.rule).join('\n')).not.toMatch(/vz-|zone/);
  });

  it('looks at the way in on input and the way out on output only', () => {
    const by = (chain: string) => vxlanLocalRules().filter((r) => r.chain === chain);
    expect(by('vxlan_local_input').every((r) => r.rule?.startsWith('iifname'))).toBe(true);
    expect(by('vxlan_local_output').every((r) => r.rule?.startsWith('oifname'))).toBe(true);
    expect(new Set(by('vxlan_local_forward').map((r) => r.comment)).size).toBe(4);
  });
});
