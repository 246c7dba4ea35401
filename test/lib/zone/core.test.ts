// The zone core (attach, detach, check, gc) against the stateful fake world: the end state of
// every command, the undo of an ADD that fails at any of its effects, a DEL that keeps going
// past failures, CHECK's findings and GC's choices — without root. The e2e tests prove the
// same against the kernel, networkd and nft.
import { describe, expect, it } from 'vitest';
import type { GcRequest, Request } from '../../../lib/cni/dispatch.js';
import type { Command } from '../../../lib/cni/env.js';
import type { Result } from '../../../lib/cni/types.js';
import { attach, enableForwarding } from '../../../lib/zone/attach.js';
import { check } from '../../../lib/zone/check.js';
import { detach } from '../../../lib/zone/detach.js';
import { gc } from '../../../lib/zone/gc.js';
import { hostVethName } from '../../../lib/names/attachment.js';
import { FakeWorld } from './fake-world.js';

const conf = (extra: Record<string, unknown> = {}) => ({
  cniVersion: '1.1.0',
  name: 'web',
  type: 'zone',
  ipam: { type: 'zone-ipam', ranges: [[{ subnet: '10.89.0.0/24' }]] },
  ...extra,
});

function request(
  command: Command,
  containerId = 'c1',
  extra: Record<string, unknown> = {},
  prevResult?: Result,
  args: Record<string, string> = {},
): Request {
  const c = conf(extra);
  return {
    env: {
      command,
      containerId,
      netns: `/run/netns/${containerId}`,
      ifname: 'eth0',
      args: { pairs: Object.entries(args), values: new Map(Object.entries(args)), ignoreUnknown: false },
      path: ['/opt/cni/bin'],
    },
    conf: c,
    parsed: { conf: c, text: JSON.stringify(c) },
    ...(prevResult && { prevResult }),
  };
}

const veth = (id: string) => hostVethName(id, 'eth0');

describe('zone core: ADD', () => {
  it('builds the bridge, the veth pair, the container side, masquerade and forwarding', async () => {
    const fake = new FakeWorld();
    const result = await attach(fake.world(), request('ADD'));
    expect(result.ips).toEqual([{ address: '10.89.0.2/24', gateway: '10.89.0.1', interface: 2 }]);
    expect(result.interfaces?.map((i) => i.name)).toEqual(['vz-web', veth('c1'), 'eth0']);
    expect(fake.snapshot()).toEqual(
      [
        'host: link vz-web bridge up',
        'host: address vz-web 10.89.0.1/24',
        `host: link ${veth('c1')} veth up master vz-web`,
        'host: sysctl net.ipv4.ip_forward=1',
        'c1: link eth0 veth up',
        'c1: address eth0 10.89.0.2/24',
        'c1: route 0.0.0.0/0 via 10.89.0.1 dev eth0',
        'ipam: c1/eth0 10.89.0.2/24',
        'dns: server web on 10.89.0.1',
      ].sort(),
    );
    expect(fake.nftDump()).toMatch(/10\.89\.0\.0\/24.*zone:web/);
  });

  it('lets a second container join the bridge the first one made', async () => {
    const fake = new FakeWorld();
    await attach(fake.world(), request('ADD', 'c1'));
    await attach(fake.world(), request('ADD', 'c2'));
    expect(fake.log.filter((line) => line.includes('create bridge'))).toHaveLength(1);
    expect(fake.snapshot()).toContain(`host: link ${veth('c2')} veth up master vz-web`);
  });

  it('publishes ports only when the runtime asks, and takes them back when a later step fails', async () => {
    const fake = new FakeWorld().failOn(/sysctl net\.ipv4\.ip_forward/);
    const req = request('ADD', 'c1', { runtimeConfig: { portMappings: [{ hostPort: 8080, containerPort: 80 }] } });
    await expect(attach(fake.world(), req)).rejects.toThrow(/injected failure/);
    expect(fake.log).toContain('ports: add c1/eth0');
    expect(fake.log).toContain('ports: del c1/eth0');
    expect(fake.portRecords.size).toBe(0);
  });

  // Every effect of a whole ADD, failed in turn: afterwards the machine is as before.
  const fullRequest = () =>
    request(
      'ADD',
      'c1',
      { runtimeConfig: { portMappings: [{ hostPort: 8080, containerPort: 80 }], aliases: { web: ['api'] } } },
      undefined,
      { K8S_POD_NAME: 'Web' },
    );
  const fullAdd = async () => {
    const fake = new FakeWorld();
    await attach(fake.world(), fullRequest());
    return fake.log;
  };

  it('undoes everything, in reverse, whichever effect fails', async () => {
    const effects = await fullAdd();
    expect(effects.length).toBeGreaterThan(8);
    for (const effect of effects) {
      const fake = new FakeWorld();
      const before = fake.snapshot();
      const pattern = new RegExp(`^${effect.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`);
      fake.failOn(pattern);
      await expect(attach(fake.world(), fullRequest()), effect).rejects.toThrow(/injected failure/);
      expect(fake.snapshot(), `after a failure at "${effect}"`).toEqual(before);
      expect(fake.nftDump(), `after a failure at "${effect}"`).not.toMatch(/zone:web/);
    }
  });

  it('undoes in the reverse order of doing', async () => {
    const fake = new FakeWorld().failOn(/sysctl net\.ipv4\.ip_forward=1/);
    await expect(attach(fake.world(), fullRequest())).rejects.toThrow();
    const undo = fake.log.slice(fake.log.indexOf('host: sysctl net.ipv4.ip_forward=1') + 1);
    expect(undo).toEqual([
      // the zone's pairs as they were before (none), then ports, veth, the names, the name
      // server of the zone now empty, the bridge this ADD made with its rules
      'nft: delete element zone_allow',
      'ports: del c1/eth0',
      `host: delete ${veth('c1')}`,
      'dns: remove names web c1/eth0',
      'dns: stop web',
      'host: delete vz-web',
      'nft: delete element zone_masq_v4, delete element zone_local_v4',
      'ipam: del c1/eth0',
    ]);
  });

  it('keeps a bridge it did not make when a later step fails', async () => {
    const fake = new FakeWorld();
    await attach(fake.world(), request('ADD', 'c1'));
    fake.failOn(/c2: up eth0/);
    await expect(attach(fake.world(), request('ADD', 'c2'))).rejects.toThrow();
    expect(fake.snapshot()).toContain('host: link vz-web bridge up');
    expect(fake.snapshot().filter((line) => line.includes('c2'))).toEqual([]);
  });

  it('reports the failed undo steps beside the error that started the undo', async () => {
    const fake = new FakeWorld().failOn(/c1: route/).failOn(/ipam: del/);
    const error = await attach(fake.world(), request('ADD')).catch((e: unknown) => e);
    expect(error).toMatchObject({ message: 'injected failure: c1: route 0.0.0.0/0' });
    expect((error as { details: string }).details).toMatch(/rollback step failed: injected failure: ipam: del c1\/eth0/);
  });

  it('refuses an ifname the container already has, before IPAM takes anything', async () => {
    const fake = new FakeWorld();
    await fake.links('c1').createVeth({ name: 'x', peerName: 'eth0' });
    fake.log.length = 0;
    await expect(attach(fake.world(), request('ADD'))).rejects.toMatchObject({ code: 121 });
    expect(fake.log).toEqual([]);
  });
});

describe('zone core: DEL', () => {
  it('takes away the veth pair, the addresses and the ports; the bridge stays', async () => {
    const fake = new FakeWorld();
    const ports = { runtimeConfig: { portMappings: [{ hostPort: 8080, containerPort: 80 }] } };
    await attach(fake.world(), request('ADD', 'c1', ports));
    await detach(fake.world(), request('DEL', 'c1', ports));
    const left = fake.snapshot();
    expect(left.filter((line) => line.includes('c1:') && !line.includes(' lo '))).toEqual([]);
    expect(left).toContain('host: link vz-web bridge up');
    expect(left.some((line) => line.startsWith('ipam:') || line.startsWith('ports:'))).toBe(false);
  });

  it('goes on past a failed step and reports every failure together', async () => {
    const fake = new FakeWorld();
    const ports = { runtimeConfig: { portMappings: [{ hostPort: 8080, containerPort: 80 }] } };
    await attach(fake.world(), request('ADD', 'c1', ports));
    fake.failOn(/ports: del/).failOn(/host: delete/);
    const error = await detach(fake.world(), request('DEL', 'c1', ports)).catch((e: unknown) => e);
    expect(error).toMatchObject({ message: expect.stringMatching(/^2 steps of DEL failed/) });
    // the step after both failures still ran
    expect(fake.allocations.size).toBe(0);
  });

  it('succeeds when everything is already gone, and finds ports by their record alone', async () => {
    const fake = new FakeWorld();
    await detach(fake.world(), request('DEL', 'never-added'));
    await attach(fake.world(), request('ADD', 'c1', { runtimeConfig: { portMappings: [{ hostPort: 8080, containerPort: 80 }] } }));
    await detach(fake.world(), request('DEL', 'c1'));
    expect(fake.portRecords.size).toBe(0);
  });
});

describe('zone core: CHECK', () => {
  it('passes on what ADD made and names what went missing', async () => {
    const fake = new FakeWorld();
    const result = await attach(fake.world(), request('ADD'));
    await check(fake.world(), request('CHECK', 'c1', {}, result));
    await fake.links('c1').deleteLinkIfExists('eth0');
    await expect(check(fake.world(), request('CHECK', 'c1', {}, result))).rejects.toMatchObject({
      code: 122,
      message: expect.stringMatching(/missing/),
    });
  });

  it('finds a host veth taken off its bridge', async () => {
    const fake = new FakeWorld();
    const result = await attach(fake.world(), request('ADD'));
    await fake.links('host').setMaster(veth('c1'), undefined);
    await expect(check(fake.world(), request('CHECK', 'c1', {}, result))).rejects.toMatchObject({
      code: 122,
      message: expect.stringMatching(/not attached to vz-web/),
    });
  });
});

describe('zone core: isolation', () => {
  const zoneConf = (zone: string, allowZones?: string[]) => ({ zone, ...(allowZones && { allowZones }) });
  const pairs = (fake: FakeWorld) =>
    fake.nftExecutor.dump(['element']).match(/(?<=^add element inet cni_zones )zone_allow \{ .* \}$/gm) ?? [];

  it('declares the fixed chain and the zone pairs on ADD, with either backend', async () => {
    for (const backend of ['netlink', 'networkd'] as const) {
      const fake = new FakeWorld({ backend });
      await attach(fake.world(), request('ADD', 'c1', zoneConf('web', ['db'])));
      expect(fake.nftExecutor.dump(['chain', 'rule'])).toMatch(
        /^add chain inet cni_zones zone_isolation \{ type filter hook forward priority 0 ; policy accept ; \}$/m,
      );
      expect(fake.nftExecutor.dump(['rule']).match(/zone_isolation .* drop comment/g), backend).toHaveLength(2);
      expect(pairs(fake), backend).toEqual([
        'zone_allow { "vz-web" . "vz-db" comment "zone:web" }',
        'zone_allow { "vz-web" . "vz-web" comment "zone:web" }',
      ]);
      // networkd masquerades by itself: only isolation in our table
      expect(fake.nftDump().includes('zone_masquerade'), backend).toBe(backend === 'netlink');
    }
  });

  it('writes the netlink masquerade and isolation in one transaction, and no transaction without masquerade when isolation is in place', async () => {
    const fake = new FakeWorld();
    await attach(fake.world(), request('ADD', 'c1'));
    const first = fake.log.filter((line) => line.startsWith('nft:'));
    expect(first).toHaveLength(1);
    expect(first[0]).toMatch(/zone_isolation.*zone_allow.*zone_masquerade/);
    fake.log.length = 0;
    await attach(fake.world(), request('ADD', 'c2'));
    // masquerade rewrites its chain anyway: the isolation chain comes in the same commit, the pairs stay
    const second = fake.log.filter((line) => line.startsWith('nft:'));
    expect(second).toHaveLength(1);
    expect(second[0]).toMatch(/flush chain zone_isolation.*flush chain zone_masquerade/);
    expect(second[0]).not.toMatch(/element zone_allow/);
    const networkd = new FakeWorld({ backend: 'networkd' });
    await attach(networkd.world(), request('ADD', 'c1'));
    networkd.log.length = 0;
    await attach(networkd.world(), request('ADD', 'c2'));
    expect(networkd.log.filter((line) => line.startsWith('nft:'))).toEqual([]);
  });

  it('replaces only its own zone pairs when allowZones changes', async () => {
    const fake = new FakeWorld({ backend: 'networkd' });
    await attach(fake.world(), request('ADD', 'b1', zoneConf('b', ['a'])));
    await attach(fake.world(), request('ADD', 'c1', zoneConf('c')));
    await attach(fake.world(), request('ADD', 'a1', zoneConf('a', ['b', 'c'])));
    await attach(fake.world(), request('ADD', 'a2', zoneConf('a', ['b', 'd'])));
    expect(pairs(fake)).toEqual([
      'zone_allow { "vz-a" . "vz-a" comment "zone:a" }',
      'zone_allow { "vz-a" . "vz-b" comment "zone:a" }',
      'zone_allow { "vz-a" . "vz-d" comment "zone:a" }',
      'zone_allow { "vz-b" . "vz-a" comment "zone:b" }',
      'zone_allow { "vz-b" . "vz-b" comment "zone:b" }',
      'zone_allow { "vz-c" . "vz-c" comment "zone:c" }',
    ]);
  });

  it('puts the zone pairs back as they were when a later step of the ADD fails', async () => {
    const fake = new FakeWorld({ backend: 'networkd' });
    await attach(fake.world(), request('ADD', 'c1', zoneConf('web', ['db'])));
    const before = { snapshot: fake.snapshot(), nft: fake.nftDump() };
    fake.failOn(/sysctl net\.ipv4\.ip_forward=1|c2: up eth0/);
    fake.namespace('host').sysctls.set('net.ipv4.ip_forward', '0');
    await expect(attach(fake.world(), request('ADD', 'c2', zoneConf('web', ['other'])))).rejects.toThrow(/injected failure/);
    fake.namespace('host').sysctls.set('net.ipv4.ip_forward', '1');
    expect(fake.snapshot()).toEqual(before.snapshot);
    expect(fake.nftDump()).toBe(before.nft);
  });

  it('undoes everything when the isolation transaction itself fails', async () => {
    const fake = new FakeWorld().failOn(/^nft: .*zone_allow/);
    const before = fake.snapshot();
    await expect(attach(fake.world(), request('ADD', 'c1', zoneConf('web', ['db'])))).rejects.toThrow(/injected failure: nft/);
    expect(fake.snapshot()).toEqual(before);
    expect(fake.nftDump()).toBe('');
  });

  it('refuses an allowZones entry that is no zone name (7), before anything happens', async () => {
    for (const bad of ['', 'much-too-long-zone', 'db;drop', 'db" . "x', '-db']) {
      const fake = new FakeWorld();
      await expect(attach(fake.world(), request('ADD', 'c1', zoneConf('web', ['db', bad]))), bad).rejects.toMatchObject({
        code: 7,
        message: expect.stringMatching(/allowZones/),
      });
      expect(fake.log, bad).toEqual([]);
    }
  });

  it('takes the zone pairs away with the last member on DEL, and only then', async () => {
    const fake = new FakeWorld({ backend: 'networkd' });
    await attach(fake.world(), request('ADD', 'b1', zoneConf('b', ['web'])));
    await attach(fake.world(), request('ADD', 'c1', zoneConf('web', ['b'])));
    await attach(fake.world(), request('ADD', 'c2', zoneConf('web', ['b'])));
    await detach(fake.world(), request('DEL', 'c1', zoneConf('web', ['b'])));
    expect(pairs(fake)).toContain('zone_allow { "vz-web" . "vz-web" comment "zone:web" }');
    // a machine's port (nspawn --network-zone) keeps the zone alive too
    const machine = await fake.links('host').createVeth({ name: 'vb-machine', peerName: 'host0' });
    await fake.links('host').setMaster(machine, (await fake.links('host').getLink('vz-web'))!.index);
    await detach(fake.world(), request('DEL', 'c2', zoneConf('web', ['b'])));
    expect(pairs(fake)).toHaveLength(4);
    await fake.links('host').deleteLinkIfExists('vb-machine');
    // DEL reads no more than the zone's name, from a configuration that may be broken since ADD
    await detach(fake.world(), request('DEL', 'c2', { zone: 'web', allowZones: 'not a list', ipam: undefined }));
    expect(pairs(fake)).toEqual(['zone_allow { "vz-b" . "vz-b" comment "zone:b" }', 'zone_allow { "vz-b" . "vz-web" comment "zone:b" }']);
    expect(fake.nftExecutor.dump(['chain'])).toMatch(/zone_isolation/);
  });

  it('goes by the network name when a DEL names no valid zone, and changes nothing when that is no zone name either', async () => {
    const fake = new FakeWorld();
    await attach(fake.world(), request('ADD', 'c1'));
    await detach(fake.world(), request('DEL', 'c1', { zone: 42 }));
    expect(pairs(fake)).toEqual([]);
    await attach(fake.world(), request('ADD', 'c2'));
    const dump = fake.nftDump();
    await detach(fake.world(), request('DEL', 'c2', { zone: '../../etc' }));
    expect(fake.nftDump()).toBe(dump);
  });

  it('fails CHECK (122) when the chain is gone or the pairs differ from allowZones', async () => {
    const fake = new FakeWorld({ backend: 'networkd' });
    const result = await attach(fake.world(), request('ADD', 'c1', zoneConf('web', ['db'])));
    await check(fake.world(), request('CHECK', 'c1', zoneConf('web', ['db']), result));
    await expect(check(fake.world(), request('CHECK', 'c1', zoneConf('web', ['app']), result))).rejects.toMatchObject({
      code: 122,
      message: 'isolation of zone web: zone_allow vz-web . vz-app missing, zone_allow vz-web . vz-db not in allowZones',
    });
    fake.nftExecutor.load('flush chain inet cni_zones zone_isolation');
    await expect(check(fake.world(), request('CHECK', 'c1', zoneConf('web', ['db']), result))).rejects.toMatchObject({
      code: 122,
      message: expect.stringMatching(/^isolation of zone web: chain zone_isolation has 0 rules/),
    });
    // the next ADD of a member puts it back
    await attach(fake.world(), request('ADD', 'c2', zoneConf('web', ['db'])));
    await check(fake.world(), request('CHECK', 'c1', zoneConf('web', ['db']), result));
  });
});

describe('zone core: GC', () => {
  it('removes the veths and allocations of attachments the runtime no longer lists', async () => {
    const fake = new FakeWorld();
    await attach(fake.world(), request('ADD', 'c1'));
    await attach(fake.world(), request('ADD', 'c2'));
    const req: GcRequest = { ...request('GC', 'c1'), validAttachments: [{ network: 'web', containerId: 'c2', ifname: 'eth0' }] };
    await gc(fake.world(), req);
    const left = fake.snapshot();
    expect(left.some((line) => line.includes(veth('c1')))).toBe(false);
    expect(left).toContain(`host: link ${veth('c2')} veth up master vz-web`);
    expect([...fake.allocations.keys()]).toEqual(['c2/eth0']);
  });

  it('takes the zone isolation pairs away with the last member it removes', async () => {
    const fake = new FakeWorld();
    await attach(fake.world(), request('ADD', 'c1'));
    await attach(fake.world(), request('ADD', 'c2'));
    const pairs = () => fake.nftExecutor.dump(['element']).match(/zone_allow \{ .* \}$/gm) ?? [];
    const keep = (valid: string[]): GcRequest => ({
      ...request('GC', 'c1'),
      validAttachments: valid.map((containerId) => ({ network: 'web', containerId, ifname: 'eth0' })),
    });
    await gc(fake.world(), keep(['c2']));
    expect(pairs()).toEqual(['zone_allow { "vz-web" . "vz-web" comment "zone:web" }']);
    await gc(fake.world(), keep([]));
    expect(pairs()).toEqual([]);
  });

  it('keeps everything when the runtime sent no list', async () => {
    const fake = new FakeWorld();
    await attach(fake.world(), request('ADD', 'c1'));
    const before = fake.snapshot();
    await gc(fake.world(), request('GC', 'c1'));
    expect(fake.snapshot()).toEqual(before);
  });
});

describe('zone core: forwarding', () => {
  it('switches on what a zone uses, once, and nothing already on', async () => {
    const fake = new FakeWorld();
    await enableForwarding(fake.world(), [4, 6, 4]);
    await enableForwarding(fake.world(), [4]);
    expect(fake.log).toEqual(['host: sysctl net.ipv4.ip_forward=1', 'host: sysctl net.ipv6.conf.all.forwarding=1']);
  });

  it('switches back off what it switched when another family fails', async () => {
    const fake = new FakeWorld().failOn(/forwarding=1/);
    await expect(enableForwarding(fake.world(), [4, 6])).rejects.toThrow(/injected/);
    expect(fake.snapshot().filter((line) => line.includes('sysctl'))).toEqual([]);
  });
});

describe('zone core: names', () => {
  const dualStack = () => new FakeWorld({ v6: ['fd89::2/64', 'fd89::3/64'] });
  const named = (containerId: string, pod: string | undefined, aliases?: string[], extra: Record<string, unknown> = {}) =>
    request(
      'ADD',
      containerId,
      { ...(aliases && { runtimeConfig: { aliases: { web: aliases, other: ['Not_A_Label'] } } }), ...extra },
      undefined,
      pod === undefined ? {} : { K8S_POD_NAME: pod },
    );

  it('registers the pod name and aliases, lowercased, with the container addresses, and starts the server once', async () => {
    const fake = dualStack();
    await attach(fake.world(), named('c1', 'Web', ['API', 'web']));
    await attach(fake.world(), named('c2', 'db'));
    expect([...fake.names]).toEqual([
      ['web c1/eth0', 'web,api → 10.89.0.2 fd89::2'],
      ['web c2/eth0', 'db → 10.89.0.3 fd89::3'],
    ]);
    expect(fake.log.filter((line) => line.startsWith('dns: start'))).toEqual(['dns: start web']);
    expect(fake.dnsServers.get('web')).toBe('10.89.0.1 fd89::1');
  });

  it('gives the container the gateways and the zone as its DNS, before what IPAM or the configuration gave', async () => {
    const fake = dualStack();
    const result = await attach(
      fake.world(),
      named('c1', 'web', undefined, { zone: 'Demo', nameServer: { domain: 'corp' }, dns: { nameservers: ['192.0.2.53'] } }),
    );
    expect(result.dns).toEqual({ nameservers: ['10.89.0.1', 'fd89::1', '192.0.2.53'], search: ['demo.corp'] });
  });

  it('skips a pod name that is no DNS label with a warning, and refuses an alias that is none (7) before anything changes', async () => {
    const fake = new FakeWorld();
    await attach(fake.world(), named('c1', 'my_pod', ['api']));
    expect([...fake.names.values()]).toEqual(['api → 10.89.0.2']);
    const other = new FakeWorld();
    await expect(attach(other.world(), named('c2', 'web', ['ok', 'bad_alias']))).rejects.toMatchObject({ code: 7 });
    expect(other.log).toEqual([]);
  });

  it('has no names, no server and only IPAM\'s dns with "nameServer": false', async () => {
    const fake = new FakeWorld();
    const result = await attach(fake.world(), named('c1', 'web', ['api'], { nameServer: false }));
    expect(fake.names.size).toBe(0);
    expect(fake.dnsServers.size).toBe(0);
    expect(result.dns).toBeUndefined();
  });

  it('removes the names on DEL at once, and stops the server with the last member only', async () => {
    const fake = new FakeWorld();
    await attach(fake.world(), named('c1', 'web'));
    await attach(fake.world(), named('c2', 'db'));
    await detach(fake.world(), request('DEL', 'c1'));
    expect([...fake.names.keys()]).toEqual(['web c2/eth0']);
    expect(fake.dnsServers.has('web')).toBe(true);
    await detach(fake.world(), request('DEL', 'c2'));
    expect(fake.names.size).toBe(0);
    expect(fake.dnsServers.size).toBe(0);
    // again: nothing left to do, nothing fails
    await detach(fake.world(), request('DEL', 'c2'));
  });

  it("fails CHECK (122) when the zone's server is not running", async () => {
    const fake = new FakeWorld();
    const result = await attach(fake.world(), named('c1', 'web'));
    await check(fake.world(), request('CHECK', 'c1', {}, result));
    fake.dnsServers.clear();
    await expect(check(fake.world(), request('CHECK', 'c1', {}, result))).rejects.toMatchObject({
      code: 122,
      message: expect.stringMatching(/name server of zone web is not running/),
    });
  });

  it('stops the server when GC leaves the zone without members', async () => {
    const fake = new FakeWorld();
    await attach(fake.world(), named('c1', 'web'));
    const req = { ...request('GC', 'c1'), validAttachments: [] } as unknown as GcRequest;
    await gc(fake.world(), req);
    expect(fake.dnsServers.size).toBe(0);
    expect(fake.names.size).toBe(0);
  });

  it('drops the names of the attachments GC does not list, and keeps the listed ones and their server', async () => {
    const fake = new FakeWorld();
    await attach(fake.world(), named('c1', 'web'));
    await attach(fake.world(), named('c2', 'db'));
    const req = { ...request('GC', 'c1'), validAttachments: [{ network: 'web', containerId: 'c2', ifname: 'eth0' }] } as GcRequest;
    await gc(fake.world(), req);
    expect([...fake.names.keys()]).toEqual(['web c2/eth0']);
    expect(fake.log).toContain('dns: prune names web c1/eth0');
    expect(fake.dnsServers.has('web')).toBe(true);
  });
});
