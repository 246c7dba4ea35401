import { chmodSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Result } from '../../../lib/cni/types.js';
import { IPPROTO_UDP } from '../../../lib/conntrack/messages.js';
import { FakeNft } from '../../../lib/nft/fake.js';
import type { Element } from '../../../lib/nft/objects.js';
import { parsePortMappings } from '../../../lib/ports/mappings.js';
import { planElements, planOf } from '../../../lib/ports/plan.js';
import { publishPorts } from '../../../lib/ports/publish.js';
import type { PortsRequest } from '../../../lib/ports/request.js';
import { readState, statePath, writeState } from '../../../lib/ports/state.js';
import { makeTestTempDir } from '../../support/paths.js';
import { elementsIn, fakeProxies, memorySysctl, portsTable, recordingFlows, routeTable, rulesetIn } from './helpers.js';

const result: Result = {
  cniVersion: '1.1.0',
  interfaces: [{ name: 'vz-web' }, { name: 'vzabc' }, { name: 'eth0', sandbox: '/run/netns/c1' }],
  ips: [{ address: '10.89.0.5/24', interface: 2 }],
};
const owner = { network: 'web', containerId: 'c1', ifname: 'eth0' };

let stateDir: string;
beforeEach(() => {
  stateDir = makeTestTempDir('ports-publish');
});
afterEach(() => rmSync(stateDir, { recursive: true, force: true }));

function request(entries: object[], extra: Partial<PortsRequest> = {}): PortsRequest {
  return { owner, mappings: parsePortMappings(entries), config: { localhost: true, localhost6: true, stateDir }, result, ...extra };
}

function deps(executor: FakeNft, sysctl = memorySysctl(), flows = recordingFlows(), proxies = fakeProxies()) {
  return { executor, sysctl, routeTable: () => routeTable, flows, proxies };
}

const isList = (args: readonly string[]) => args.includes('list');

/** What one attachment's 8080 → 80 leaves in the table, beside the shared hairpin pair. */
const published8080 = [
  'ports_any_v4 { tcp . 8080 comment "ports web c1 eth0" : 10.89.0.5 . 80 }',
  'ports_hairpin_v4 { 10.89.0.0/24 . 10.89.0.0/24 comment "ports shared" }',
  'ports_targets_v4 { 10.89.0.5 comment "ports web c1 eth0" }',
];

const holder: Element = {
  kind: 'element',
  set: 'ports_any_v4',
  key: ['tcp', '8080'],
  value: ['10.89.0.9', '80'],
  comment: 'ports web other eth0',
};

describe('publishPorts', () => {
  it('writes everything in one nft transaction, without listing, then records it and opens localhost', async () => {
    const nft = new FakeNft();
    const sysctl = memorySysctl();
    await publishPorts(request([{ hostPort: 8080, containerPort: 80 }]), deps(nft, sysctl));
    expect(nft.calls.map((call) => call.args.join(' '))).toEqual(['-f -']);
    expect(elementsIn(nft)).toEqual(published8080);
    expect(rulesetIn(nft)).toBe(rulesetIn(portsTable()));
    expect(readState(stateDir, owner)?.elements.map((e) => e.set)).toEqual(['ports_any_v4', 'ports_targets_v4']);
    expect(sysctl.values).toEqual({ 'net.ipv4.conf.vz-web.route_localnet': '1' });
  });

  it('does nothing at all without mappings, or without an address of their family', async () => {
    const nft = new FakeNft();
    await publishPorts(request([]), deps(nft));
    await publishPorts({ ...request([]), mappings: undefined }, deps(nft));
    await publishPorts(request([{ hostPort: 80, containerPort: 80, hostIP: '::' }]), deps(nft));
    expect(nft.calls).toEqual([]);
    expect(existsSync(statePath(stateDir, owner))).toBe(false);
  });

  it('leaves route_localnet alone when localhost is off or the mapping is on another address', async () => {
    for (const [entries, localhost] of [
      [[{ hostPort: 8080, containerPort: 80 }], false],
      [[{ hostPort: 8080, containerPort: 80, hostIP: '192.0.2.1' }], true],
    ] as const) {
      const sysctl = memorySysctl();
      await publishPorts(request([...entries], { config: { localhost, localhost6: localhost, stateDir } }), deps(new FakeNft(), sysctl));
      expect(sysctl.values).toEqual({});
    }
  });

  it('replaces what an earlier ADD of the same attachment recorded, whether still there or gone', async () => {
    const earlier = planOf(request([{ hostPort: 9090, containerPort: 90 }]));
    for (const nft of [portsTable([...planElements(earlier), ...earlier.shared]), new FakeNft()]) {
      writeState(stateDir, { owner, elements: planElements(earlier) });
      await publishPorts(request([{ hostPort: 8080, containerPort: 80 }]), deps(nft));
      expect(nft.calls.filter((call) => isList(call.args))).toEqual([]);
      expect(elementsIn(nft)).toEqual(published8080);
      expect(readState(stateDir, owner)?.elements[0]?.key).toEqual(['tcp', '8080']);
    }
  });

  it('names the holder of a taken port with code 130, changes nothing and records nothing', async () => {
    const nft = portsTable([holder]);
    const before = nft.dump();
    const sysctl = memorySysctl();
    await expect(publishPorts(request([{ hostPort: 8080, containerPort: 80 }]), deps(nft, sysctl))).rejects.toMatchObject({
      code: 130,
      message: 'host port tcp/8080 (IPv4) is already published by container other (ifname eth0, network web)',
      details: expect.stringMatching(/nothing was changed/),
    });
    expect(nft.calls.map((c) => (isList(c.args) ? 'list' : 'apply'))).toEqual(['apply', 'list']);
    expect(nft.dump()).toBe(before);
    expect(existsSync(statePath(stateDir, owner))).toBe(false);
    expect(sysctl.values).toEqual({});
  });

  it('takes its own leftovers over when the record is gone (an ADD repeated without DEL)', async () => {
    const mine = planOf(
      request([
        { hostPort: 8080, containerPort: 80 },
        { hostPort: 9090, containerPort: 90 },
      ]),
    );
    const nft = portsTable([...planElements(mine), ...mine.shared]);
    await publishPorts(request([{ hostPort: 8080, containerPort: 80 }]), deps(nft));
    expect(nft.calls.map((c) => (isList(c.args) ? 'list' : 'apply'))).toEqual(['apply', 'list', 'apply']);
    expect(elementsIn(nft)).toEqual(published8080);
    expect(readState(stateDir, owner)).toBeDefined();
  });

  it('records before touching nft: when the record cannot be written, nothing is published', async () => {
    const blocked = join(stateDir, 'file');
    writeFileSync(blocked, '');
    chmodSync(blocked, 0o400);
    const nft = new FakeNft();
    await expect(
      publishPorts(
        request([{ hostPort: 8080, containerPort: 80 }], { config: { localhost: true, localhost6: true, stateDir: join(blocked, 'x') } }),
        deps(nft),
      ),
    ).rejects.toMatchObject({ code: 5 });
    expect(nft.calls).toEqual([]);
  });

  it("while nft runs, the record holds the earlier ADD's elements and the new ones; afterwards only the new", async () => {
    const earlier = planOf(request([{ hostPort: 9090, containerPort: 90 }]));
    writeState(stateDir, { owner, elements: earlier.claims });
    const seen: string[][] = [];
    const nft = new FakeNft(() => {
      seen.push(readState(stateDir, owner)!.elements.map((e) => `${e.set} ${e.key.join(' . ')}`));
      return undefined;
    });
    await publishPorts(request([{ hostPort: 8080, containerPort: 80 }]), deps(nft));
    expect(seen).toEqual([['ports_any_v4 tcp . 9090', 'ports_any_v4 tcp . 8080', 'ports_targets_v4 10.89.0.5']]);
    expect(readState(stateDir, owner)?.elements.map((e) => e.key.join(' . '))).toEqual(['tcp . 8080', '10.89.0.5']);
  });

  it('after a refused ADD the record is the earlier one again', async () => {
    const earlier = planOf(request([{ hostPort: 9090, containerPort: 90 }]));
    writeState(stateDir, { owner, elements: earlier.claims });
    await expect(publishPorts(request([{ hostPort: 8080, containerPort: 80 }]), deps(portsTable([holder])))).rejects.toMatchObject({
      code: 130,
    });
    expect(readState(stateDir, owner)?.elements).toEqual(earlier.claims);
  });

  it('takes the elements and the record back when route_localnet cannot be switched on', async () => {
    const nft = new FakeNft();
    const sysctl = { read: async () => '0', write: async () => Promise.reject(new Error('read-only /proc/sys')) };
    await expect(publishPorts(request([{ hostPort: 8080, containerPort: 80 }]), deps(nft, sysctl as never))).rejects.toThrow('read-only');
    expect(nft.inputs).toHaveLength(2);
    // the shared hairpin pair stays: nobody owns it
    expect(elementsIn(nft)).toEqual(['ports_hairpin_v4 { 10.89.0.0/24 . 10.89.0.0/24 comment "ports shared" }']);
    expect(existsSync(statePath(stateDir, owner))).toBe(false);
  });

  it('forgets the flows to its UDP host ports once they are published, and none when refused', async () => {
    const flows = recordingFlows();
    const mappings = [
      { hostPort: 53, containerPort: 53, protocol: 'udp' },
      { hostPort: 80, containerPort: 80 },
      { hostPort: 5353, containerPort: 53, protocol: 'udp', hostIP: '127.0.0.1' },
    ];
    const nft = new FakeNft(() => {
      expect(flows.asked).toEqual([]);
      return undefined;
    });
    await publishPorts(request(mappings), deps(nft, memorySysctl(), flows));
    expect(flows.asked).toEqual([
      [
        { family: 4, protocol: IPPROTO_UDP, port: 53 },
        { family: 4, protocol: IPPROTO_UDP, port: 5353, address: { family: 4, value: 0x7f000001n } },
      ],
    ]);

    const refused = recordingFlows();
    const conflict = portsTable([{ ...holder, key: ['udp', '53'], value: ['10.89.0.9', '53'] }]);
    await expect(publishPorts(request(mappings), deps(conflict, memorySysctl(), refused))).rejects.toMatchObject({ code: 130 });
    expect(refused.asked).toEqual([]);
  });

  it('keeps a tag of its own on marks another attachment left with the same key', async () => {
    // an earlier container with this address, gone without DEL: its target mark is ours now
    const stale: Element = { kind: 'element', set: 'ports_targets_v4', key: ['10.89.0.5'], comment: 'ports web gone eth0' };
    const nft = portsTable([stale]);
    await publishPorts(request([{ hostPort: 8080, containerPort: 80 }]), deps(nft));
    expect(elementsIn(nft)).toEqual(published8080);
  });
});
