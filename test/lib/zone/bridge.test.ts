// What the zone's bridge tells systemd-resolved, against the fake world: with the netlink backend
// and the name server on, every ADD gives resolved the gateways for `~<zone>.<domain>` on the
// bridge; nothing with networkd (its .network file does) or without the name server; an ADD
// goes on with a warning when resolved refuses.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Request } from '../../../lib/cni/dispatch.js';
import { attach } from '../../../lib/zone/attach.js';
import { announceZoneDns } from '../../../lib/zone/bridge.js';
import { loadZoneConfig } from '../../../lib/zone/plan.js';
import { ResolvedError } from '../../../lib/resolved/link-dns.js';
import { FakeWorld } from './fake-world.js';

function add(containerId: string, extra: Record<string, unknown> = {}): Request {
  const conf = {
    cniVersion: '1.1.0',
    name: 'web',
    type: 'zone',
    ipam: { type: 'zone-ipam', ranges: [[{ subnet: '10.89.0.0/24' }]] },
    ...extra,
  };
  return {
    env: {
      command: 'ADD',
      containerId,
      netns: `/run/netns/${containerId}`,
      ifname: 'eth0',
      args: { pairs: [], values: new Map(), ignoreUnknown: false },
      path: ['/opt/cni/bin'],
    },
    conf,
    parsed: { conf, text: JSON.stringify(conf) },
  };
}

async function bridgeIndex(fake: FakeWorld, name = 'vz-web'): Promise<number | undefined> {
  return (await fake.links('host').getLink(name))?.index;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('zone bridge: systemd-resolved', () => {
  it('tells resolved the gateways answer ~<zone>.<domain> on the bridge, on every ADD', async () => {
    const fake = new FakeWorld({ v6: ['fd89::2/64', 'fd89::3/64'] });
    await attach(fake.world(), add('c1'));
    const index = await bridgeIndex(fake);
    expect([...fake.resolvedLinks]).toEqual([[index, '10.89.0.1 fd89::1 ~web.internal']]);
    // a resolved (re)started since has forgotten it: the next ADD tells it again
    fake.resolvedLinks.clear();
    await attach(fake.world(), add('c2'));
    expect([...fake.resolvedLinks]).toEqual([[index, '10.89.0.1 fd89::1 ~web.internal']]);
  });

  it('uses the zone lowercased and the configured domain', async () => {
    const fake = new FakeWorld();
    await attach(fake.world(), add('c1', { zone: 'Demo', nameServer: { domain: 'Corp.Example.' } }));
    expect([...fake.resolvedLinks.values()]).toEqual(['10.89.0.1 ~demo.corp.example']);
  });

  it('tells nothing without the name server, nor with networkd, whose .network file does', async () => {
    const off = new FakeWorld();
    await attach(off.world(), add('c1', { nameServer: false }));
    expect(off.resolvedLinks.size).toBe(0);
    const networkd = new FakeWorld({ backend: 'networkd' });
    await attach(networkd.world(), add('c1'));
    expect(networkd.resolvedLinks.size).toBe(0);
    // the spec of its files, which test/lib/networkd/zone-files.test.ts renders as DNS= and Domains=~
    expect(JSON.parse(networkd.files.get('/run/systemd/network/vz-web.network') ?? '{}')).toMatchObject({
      dns: { search: 'web.internal' },
    });
  });

  it('goes on with a warning on stderr when resolved refuses', async () => {
    const fake = new FakeWorld();
    fake.resolvedFailure = new ResolvedError(
      'denied',
      'systemd-resolved did not take 10.89.0.1 for ~web.internal on link 2: Access denied',
    );
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const result = await attach(fake.world(), add('c1'));
    expect(result.ips).toHaveLength(1);
    expect(fake.snapshot()).toContain('host: link vz-web bridge up');
    expect(stderr).toHaveBeenCalledWith(
      'zone: warning: the host may not resolve names of zone web: systemd-resolved did not take 10.89.0.1 for ~web.internal on link 2: Access denied\n',
    );
  });

  it('announceZoneDns passes the outcome and the failure on (for zonectl repair)', async () => {
    const fake = new FakeWorld();
    const config = loadZoneConfig(add('c1').conf);
    if (config.dns === false) throw new Error('the name server is on by default');
    const gateways = [{ address: '10.89.0.1' }];
    expect(await announceZoneDns(fake.world(), 5, config, config.dns, gateways)).toBe('announced');
    expect(fake.resolvedLinks.get(5)).toBe('10.89.0.1 ~web.internal');
    fake.resolvedFailure = new ResolvedError('timeout', 'no reply');
    await expect(announceZoneDns(fake.world(), 5, config, config.dns, gateways)).rejects.toThrow('no reply');
  });
});
