import { describe, expect, it } from 'vitest';
import { driftLine, isolationDriftOf, masqueradeDrift, portsDrift, tableNow } from '../../../../cli/zonectl/repair/drift.js';
import { FakeNft } from '../../../../lib/nft/fake.js';
import { addZoneIsolation } from '../../../../lib/nft/isolation.js';
import { addZoneMasquerade } from '../../../../lib/nft/masquerade.js';
import type { Element } from '../../../../lib/nft/objects.js';
import { ourTable } from '../../../../lib/nft/our-table.js';
import { ownerTag } from '../../../../lib/ports/owner.js';
import { planElements, planPorts } from '../../../../lib/ports/plan.js';
import { declarePorts } from '../../../../lib/ports/ruleset.js';
import type { PortsState, ProxyRecord } from '../../../../lib/ports/state.js';
import { containerTargets } from '../../../../lib/ports/targets.js';

const owner = { network: 'zt', containerId: 'web', ifname: 'eth0' };
const targets = containerTargets({
  cniVersion: '1.0.0',
  ips: [{ address: '10.89.0.5/24' }, { address: 'fd89::5/64' }],
});
const plan = planPorts([{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }], targets, { tag: ownerTag(owner), localhost: true });
const proxy: ProxyRecord = { port: 8080, target: '[fd89::5]:80', via: 'process', pid: 4242 };
const state: PortsState = { owner, elements: planElements(plan), shared: plan.shared, proxies: [proxy] };

/** Our table in a FakeNft as ADD leaves it, with `elements`. */
async function published(elements: readonly Element[]) {
  const nft = new FakeNft();
  const table = ourTable(nft);
  const tx = declarePorts(table.transaction());
  if (elements.length > 0) tx.add(elements);
  await table.apply(tx);
  return { nft, table: tableNow(() => table.list()) };
}

const running = { runs: async () => true };
const stopped = { runs: async () => false };

describe('portsDrift', () => {
  it('finds nothing when the record is what the host has', async () => {
    const { table } = await published([...state.elements, ...plan.shared]);
    expect(await portsDrift(state, '/run/x', table, running)).toEqual([]);
  });

  it('names a missing claim and a proxy that is not running', async () => {
    const [v4, ...rest] = state.elements;
    expect(v4?.set).toBe('ports_any_v4');
    const { table } = await published([...rest, ...plan.shared]);
    expect(await portsDrift(state, '/run/x', table, stopped)).toEqual(['tcp/8080 (IPv4) missing', '[::1]:8080 proxy not running']);
  });

  it('says the table is gone after a flush, with the claims it took', async () => {
    const table = tableNow(async () => undefined);
    expect(await portsDrift(state, '/run/x', table, running)).toEqual([
      'table inet cni_zones gone',
      'tcp/8080 (IPv4) missing',
      'tcp/8080 (IPv6) missing',
    ]);
  });

  it('names a claim another attachment holds now, and a chain that lost its rules', async () => {
    const other = ownerTag({ ...owner, containerId: 'db' });
    const elements = [...state.elements.map((e) => (e.set === 'ports_any_v6' ? { ...e, comment: other } : e)), ...plan.shared];
    const { nft, table } = await published(elements);
    await nft.run(['-f', '-'], 'flush chain inet cni_zones ports_guard\n');
    expect(await portsDrift(state, '/run/x', table, running)).toEqual([
      'chain ports_guard has 0 rules, not 1',
      'tcp/8080 (IPv6) held by container db (ifname eth0, network zt)',
    ]);
  });

  it('looks at the table only when the record has elements ([::1] alone needs none)', async () => {
    const table = tableNow(async () => {
      throw new Error('listed');
    });
    expect(await portsDrift({ owner, elements: [], proxies: [proxy] }, '/run/x', table, stopped)).toEqual(['[::1]:8080 proxy not running']);
  });
});

describe('masqueradeDrift', () => {
  const spec = { zone: 'zt', bridge: 'vz-zt', subnets: ['10.89.0.0/24', 'fd89::/64'] };

  it('finds nothing when the zone is masqueraded, and each missing entry when not', async () => {
    const nft = new FakeNft();
    const table = ourTable(nft);
    await table.apply(addZoneMasquerade(table.transaction(), spec));
    expect(
      await masqueradeDrift(
        spec,
        tableNow(() => table.list()),
      ),
    ).toEqual([]);
    await nft.run(['-f', '-'], 'flush set inet cni_zones zone_masq_v6\n');
    expect(
      await masqueradeDrift(
        spec,
        tableNow(() => table.list()),
      ),
    ).toEqual(['zone_masq_v6 fd89::/64 missing']);
  });

  it('says when the table is gone', async () => {
    expect(
      await masqueradeDrift(
        spec,
        tableNow(async () => undefined),
      ),
    ).toEqual(['masquerade of 10.89.0.0/24, fd89::/64 gone (table inet cni_zones missing)']);
  });
});

describe('isolationDriftOf', () => {
  const config = { zone: 'zt', bridge: 'vz-zt', allowZones: ['db'] } as Parameters<typeof isolationDriftOf>[0];

  it('finds nothing when the zone is isolated as configured, and what differs when not', async () => {
    const nft = new FakeNft();
    const table = ourTable(nft);
    await table.apply(addZoneIsolation(table.transaction(), { zone: 'zt', bridge: 'vz-zt', peers: ['vz-db'] }));
    expect(
      await isolationDriftOf(
        config,
        tableNow(() => table.list()),
      ),
    ).toEqual([]);
    expect(
      await isolationDriftOf(
        { ...config, allowZones: [] },
        tableNow(() => table.list()),
      ),
    ).toEqual(['zone_allow vz-zt . vz-db not in allowZones']);
    await nft.run(['-f', '-'], 'flush chain inet cni_zones zone_isolation\n');
    expect(
      await isolationDriftOf(
        config,
        tableNow(() => table.list()),
      ),
    ).toEqual(['chain zone_isolation has 0 rules, not its 2']);
  });

  it('says when the table is gone', async () => {
    expect(
      await isolationDriftOf(
        config,
        tableNow(async () => undefined),
      ),
    ).toEqual(['isolation of zone zt gone (table inet cni_zones missing)']);
  });
});

describe('tableNow', () => {
  it('lists the table once for every question', async () => {
    let listed = 0;
    const table = tableNow(async () => {
      listed++;
      return undefined;
    });
    await table();
    await table();
    expect(listed).toBe(1);
  });
});

describe('driftLine', () => {
  it('says what drifted and the fix', () => {
    expect(driftLine('ports', ['tcp/8080 (IPv4) missing', '[::1]:8080 proxy not running'])).toBe(
      'ports: drift — tcp/8080 (IPv4) missing, [::1]:8080 proxy not running → run: zonectl repair',
    );
  });
});
