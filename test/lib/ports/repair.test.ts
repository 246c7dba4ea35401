import { rmSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeNft } from '../../../lib/nft/fake.js';
import type { Element } from '../../../lib/nft/objects.js';
import { parsePortMappings } from '../../../lib/ports/mappings.js';
import { planOf } from '../../../lib/ports/plan.js';
import { publishPorts } from '../../../lib/ports/publish.js';
import { repairPorts } from '../../../lib/ports/repair.js';
import type { PortsRequest } from '../../../lib/ports/request.js';
import { readState } from '../../../lib/ports/state.js';
import { makeTestTempDir } from '../../support/paths.js';
import { elementsIn, fakeProxies, memorySysctl, portsTable, recordingFlows, routeTable, rulesetIn } from './helpers.js';

const owner = { network: 'web', containerId: 'c1', ifname: 'eth0' };

let stateDir: string;
beforeEach(() => {
  stateDir = makeTestTempDir('ports-repair');
});
afterEach(() => rmSync(stateDir, { recursive: true, force: true }));

const request = (): PortsRequest => ({
  owner,
  mappings: parsePortMappings([{ hostPort: 8080, containerPort: 80 }]),
  config: { localhost: true, localhost6: true, stateDir },
  result: { cniVersion: '1.1.0', ips: [{ address: '10.89.0.5/24' }] },
});

function world(nft: FakeNft, proxies = fakeProxies(), sysctl = memorySysctl()) {
  return { executor: nft, sysctl, routeTable: () => routeTable, flows: recordingFlows(), proxies };
}

describe('repairPorts', () => {
  it('puts back a flushed table, route_localnet and a dead proxy from the records, and then has nothing to do', async () => {
    const proxies = fakeProxies();
    const published = new FakeNft();
    await publishPorts(request(), world(published, proxies));
    const wanted = elementsIn(published);

    const flushed = new FakeNft();
    const sysctl = memorySysctl();
    proxies.running.clear();
    const [report] = await repairPorts(stateDir, world(flushed, proxies, sysctl));
    expect(report).toEqual({
      owner,
      restored: ['tcp/8080 (IPv4) → 10.89.0.5:80', 'ports_targets_v4 entry 10.89.0.5', 'tcp/[::1]:8080 → 10.89.0.5:80'],
      problems: [],
    });
    expect(elementsIn(flushed)).toEqual(wanted);
    expect(rulesetIn(flushed)).toBe(rulesetIn(portsTable()));
    expect(sysctl.values).toEqual({ 'net.ipv4.conf.vz-web.route_localnet': '1' });
    expect([...proxies.running.keys()]).toEqual([8080]);
    expect(readState(stateDir, owner)?.proxies).toEqual([{ port: 8080, target: '10.89.0.5:80', via: 'process', pid: 9080 }]);

    expect(await repairPorts(stateDir, world(flushed, proxies, sysctl))).toEqual([{ owner, restored: [], problems: [] }]);
  });

  it('reports a key someone else holds now and leaves it alone; a [::1] port taken elsewhere too', async () => {
    await publishPorts(request(), world(new FakeNft()));
    const [claim] = planOf(request()).claims as [Element];
    const other = portsTable([{ ...claim, value: ['10.89.0.9', '80'], comment: 'ports web c2 eth0' }]);
    const [report] = await repairPorts(stateDir, world(other, fakeProxies([8080])));
    expect(report?.problems).toEqual([
      'tcp/8080 (IPv4) → 10.89.0.5:80 is held by another entry now (ports web c2 eth0): left alone',
      'tcp/[::1]:8080 → 10.89.0.5:80: host port tcp/[::1]:8080 is already taken',
    ]);
    expect(elementsIn(other)).toContain('ports_any_v4 { tcp . 8080 comment "ports web c2 eth0" : 10.89.0.9 . 80 }');
  });

  it("leaves the records it is told to skip as they are (a container that is gone is GC's)", async () => {
    await publishPorts(request(), world(new FakeNft()));
    const nft = new FakeNft();
    const proxies = fakeProxies();
    expect(await repairPorts(stateDir, world(nft, proxies), (o) => o.containerId !== 'c1')).toEqual([]);
    expect(nft.calls).toEqual([]);
    expect(proxies.running.size).toBe(0);
  });

  it('does nothing where nothing is recorded', async () => {
    const nft = new FakeNft();
    expect(await repairPorts(stateDir, world(nft))).toEqual([]);
    expect(nft.calls).toEqual([]);
  });
});
