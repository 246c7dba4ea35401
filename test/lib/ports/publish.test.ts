import { chmodSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Result } from '../../../lib/cni/types.js';
import { parsePortMappings } from '../../../lib/ports/mappings.js';
import { planOf } from '../../../lib/ports/plan.js';
import { publishPorts } from '../../../lib/ports/publish.js';
import type { PortsRequest } from '../../../lib/ports/request.js';
import { readState, statePath, writeState } from '../../../lib/ports/state.js';
import { makeTestTempDir } from '../../support/paths.js';
import { exists, isApply, isList, listingJson, memorySysctl, RecordingExecutor, recordingFlows, routeTable } from './helpers.js';
import { IPPROTO_UDP } from '../../../lib/conntrack/messages.js';

const result: Result = {
  cniVersion: '1.1.0',
  interfaces: [{ name: 'vz-web' }, { name: 'vzabc' }, { name: 'eth0', sandbox: '/run/netns/c1' }],
  ips: [{ address: '10.89.0.5/24', interface: 2 }],
};
const owner = { network: 'web', containerId: 'c1', ifname: 'eth0' };
const tag = 'ports web c1 eth0';

let stateDir: string;
beforeEach(() => {
  stateDir = makeTestTempDir('ports-publish');
});
afterEach(() => rmSync(stateDir, { recursive: true, force: true }));

function request(entries: object[], extra: Partial<PortsRequest> = {}): PortsRequest {
  return { owner, mappings: parsePortMappings(entries), config: { localhost: true, stateDir }, result, ...extra };
}

function deps(executor: RecordingExecutor, sysctl = memorySysctl(), flows = recordingFlows()) {
  return { executor, sysctl, routeTable: () => routeTable, flows };
}

const claim = 'create element inet cni_zones ports_any_v4 { tcp . 8080 comment "ports web c1 eth0" : 10.89.0.5 . 80 }';

describe('publishPorts', () => {
  it('writes everything in one nft transaction, without listing, then records it and opens localhost', async () => {
    const nft = new RecordingExecutor();
    const sysctl = memorySysctl();
    await publishPorts(request([{ hostPort: 8080, containerPort: 80 }]), deps(nft, sysctl));
    expect(nft.calls).toHaveLength(1);
    const lines = nft.inputs[0]!.trimEnd().split('\n');
    expect(lines[0]).toBe('add table inet cni_zones');
    expect(lines.filter((l) => l.includes('element'))).toEqual([
      claim,
      'add element inet cni_zones ports_hairpin_v4 { 10.89.0.0/24 . 10.89.0.0/24 comment "ports shared" }',
      'add element inet cni_zones ports_targets_v4 { 10.89.0.5 comment "ports web c1 eth0" }',
      'delete element inet cni_zones ports_targets_v4 { 10.89.0.5 }',
      'add element inet cni_zones ports_targets_v4 { 10.89.0.5 comment "ports web c1 eth0" }',
    ]);
    expect(readState(stateDir, owner)?.elements.map((e) => e.set)).toEqual(['ports_any_v4', 'ports_targets_v4']);
    expect(sysctl.values).toEqual({ 'net.ipv4.conf.vz-web.route_localnet': '1' });
  });

  it('does nothing at all without mappings, or without an address of their family', async () => {
    const nft = new RecordingExecutor();
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
      await publishPorts(request([...entries], { config: { localhost, stateDir } }), deps(new RecordingExecutor(), sysctl));
      expect(sysctl.values).toEqual({});
    }
  });

  it('replaces what an earlier ADD of the same attachment recorded, tolerantly', async () => {
    const earlier = planOf(request([{ hostPort: 9090, containerPort: 90 }]));
    writeState(stateDir, { owner, elements: earlier.claims });
    const nft = new RecordingExecutor();
    await publishPorts(request([{ hostPort: 8080, containerPort: 80 }]), deps(nft));
    const lines = nft.inputs[0]!.split('\n');
    const old = 'ports_any_v4 { tcp . 9090';
    expect(lines.findIndex((l) => l.startsWith('add element') && l.includes(old))).toBeLessThan(lines.findIndex((l) => l.startsWith('delete element') && l.includes(old)));
    expect(lines.findIndex((l) => l.startsWith('delete element') && l.includes(old))).toBeLessThan(lines.indexOf(claim));
    expect(readState(stateDir, owner)?.elements[0]?.key).toEqual(['tcp', '8080']);
  });

  it('names the holder of a taken port with code 130, changes nothing and records nothing', async () => {
    const holder = { kind: 'element' as const, set: 'ports_any_v4', key: ['tcp', '8080'], value: ['10.89.0.9', '80'], comment: 'ports web other eth0' };
    const nft = new RecordingExecutor((call) => (isList(call) ? listingJson([holder]) : exists()));
    const sysctl = memorySysctl();
    await expect(publishPorts(request([{ hostPort: 8080, containerPort: 80 }]), deps(nft, sysctl))).rejects.toMatchObject({
      code: 130,
      message: 'host port tcp/8080 (IPv4) is already published by container other (ifname eth0, network web)',
      details: expect.stringMatching(/nothing was changed/),
    });
    expect(nft.calls.map((c) => (isApply(c) ? 'apply' : 'list'))).toEqual(['apply', 'list']);
    expect(existsSync(statePath(stateDir, owner))).toBe(false);
    expect(sysctl.values).toEqual({});
  });

  it('takes its own leftovers over when the record is gone (an ADD repeated without DEL)', async () => {
    const mine = { kind: 'element' as const, set: 'ports_any_v4', key: ['tcp', '8080'], value: ['10.89.0.5', '80'], comment: tag };
    let applies = 0;
    const nft = new RecordingExecutor((call) => (isList(call) ? listingJson([mine]) : ++applies === 1 ? exists() : ''));
    await publishPorts(request([{ hostPort: 8080, containerPort: 80 }]), deps(nft));
    const retry = nft.inputs[1]!.split('\n');
    expect(retry.indexOf('delete element inet cni_zones ports_any_v4 { tcp . 8080 }')).toBeLessThan(retry.indexOf(claim));
    expect(readState(stateDir, owner)).toBeDefined();
  });

  it('records before touching nft: when the record cannot be written, nothing is published', async () => {
    const blocked = join(stateDir, 'file');
    writeFileSync(blocked, '');
    chmodSync(blocked, 0o400);
    const nft = new RecordingExecutor();
    await expect(publishPorts(request([{ hostPort: 8080, containerPort: 80 }], { config: { localhost: true, stateDir: join(blocked, 'x') } }), deps(nft))).rejects.toMatchObject({ code: 5 });
    expect(nft.calls).toEqual([]);
  });

  it('while nft runs, the record holds the earlier ADD\'s elements and the new ones; afterwards only the new', async () => {
    const earlier = planOf(request([{ hostPort: 9090, containerPort: 90 }]));
    writeState(stateDir, { owner, elements: earlier.claims });
    const seen: string[][] = [];
    const nft = new RecordingExecutor(() => {
      seen.push(readState(stateDir, owner)!.elements.map((e) => `${e.set} ${e.key.join(' . ')}`));
      return '';
    });
    await publishPorts(request([{ hostPort: 8080, containerPort: 80 }]), deps(nft));
    expect(seen).toEqual([['ports_any_v4 tcp . 9090', 'ports_any_v4 tcp . 8080', 'ports_targets_v4 10.89.0.5']]);
    expect(readState(stateDir, owner)?.elements.map((e) => e.key.join(' . '))).toEqual(['tcp . 8080', '10.89.0.5']);
  });

  it('after a refused ADD the record is the earlier one again', async () => {
    const earlier = planOf(request([{ hostPort: 9090, containerPort: 90 }]));
    writeState(stateDir, { owner, elements: earlier.claims });
    const holder = { kind: 'element' as const, set: 'ports_any_v4', key: ['tcp', '8080'], value: ['10.89.0.9', '80'], comment: 'ports web other eth0' };
    const nft = new RecordingExecutor((call) => (isList(call) ? listingJson([holder]) : exists()));
    await expect(publishPorts(request([{ hostPort: 8080, containerPort: 80 }]), deps(nft))).rejects.toMatchObject({ code: 130 });
    expect(readState(stateDir, owner)?.elements).toEqual(earlier.claims);
  });

  it('takes the elements and the record back when route_localnet cannot be switched on', async () => {
    const nft = new RecordingExecutor();
    const sysctl = { read: async () => '0', write: async () => Promise.reject(new Error('read-only /proc/sys')) };
    await expect(publishPorts(request([{ hostPort: 8080, containerPort: 80 }]), deps(nft, sysctl as never))).rejects.toThrow('read-only');
    expect(nft.inputs).toHaveLength(2);
    expect(nft.inputs[1]).toContain('delete element inet cni_zones ports_any_v4 { tcp . 8080 }');
    expect(existsSync(statePath(stateDir, owner))).toBe(false);
  });

  it('forgets the flows to its UDP host ports once they are published, and none when refused', async () => {
    const flows = recordingFlows();
    const mappings = [{ hostPort: 53, containerPort: 53, protocol: 'udp' }, { hostPort: 80, containerPort: 80 }, { hostPort: 5353, containerPort: 53, protocol: 'udp', hostIP: '127.0.0.1' }];
    const nft = new RecordingExecutor(() => {
      expect(flows.asked).toEqual([]);
      return '';
    });
    await publishPorts(request(mappings), deps(nft, memorySysctl(), flows));
    expect(flows.asked).toEqual([[
      { family: 4, protocol: IPPROTO_UDP, port: 53 },
      { family: 4, protocol: IPPROTO_UDP, port: 5353, address: { family: 4, value: 0x7f000001n } },
    ]]);

    const refused = recordingFlows();
    const holder = { kind: 'element' as const, set: 'ports_any_v4', key: ['udp', '53'], value: ['10.89.0.9', '53'], comment: 'ports web other eth0' };
    const conflict = new RecordingExecutor((call) => (isList(call) ? listingJson([holder]) : exists()));
    await expect(publishPorts(request(mappings), deps(conflict, memorySysctl(), refused))).rejects.toMatchObject({ code: 130 });
    expect(refused.asked).toEqual([]);
  });
});
