import { rmSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseCniArgs } from '../../../lib/cni/args.js';
import type { Request } from '../../../lib/cni/dispatch.js';
import type { NetConf } from '../../../lib/cni/config.js';
import type { Result } from '../../../lib/cni/types.js';
import { portsAdd, portsDel, portsRequest, portsStatus, wantsPorts } from '../../../lib/ports/commands.js';
import { ProxyError } from '../../../lib/proxy/errors.js';
import { asCniError } from '../../../lib/cni/errors.js';
import { handlers as zonePortsHandlers } from '../../../lib/ports/handlers.js';
import { makeTestTempDir } from '../../support/paths.js';
import { FakeNft } from '../../../lib/nft/fake.js';
import { elementsIn, fakeProxies, memorySysctl, portsTable, routeTable } from './helpers.js';

const prevResult: Result = {
  cniVersion: '1.0.0',
  interfaces: [{ name: 'eth0', sandbox: '/run/netns/x' }],
  ips: [{ address: '10.89.0.5/24', interface: 0 }],
};

let stateDir: string;
beforeEach(() => {
  stateDir = makeTestTempDir('ports-commands');
});
afterEach(() => rmSync(stateDir, { recursive: true, force: true }));

function req(extra: object = {}, withPrev = true): Request {
  const conf = { cniVersion: '1.0.0', name: 'web', type: 'zone-ports', portsStateDir: stateDir, ...extra } as NetConf;
  return {
    env: { command: 'ADD', containerId: 'c1', netns: '/run/netns/x', ifname: 'eth0', args: parseCniArgs(''), path: [] },
    conf,
    parsed: { conf, text: JSON.stringify(conf) },
    ...(withPrev && { prevResult }),
  };
}

describe('ports commands', () => {
  it('knows when a request concerns ports', () => {
    expect(wantsPorts(req())).toBe(false);
    expect(wantsPorts(req({ capabilities: { portMappings: true } }))).toBe(true);
    expect(wantsPorts(req({ runtimeConfig: { portMappings: [] } }))).toBe(true);
  });

  it('builds the request from the CNI request', () => {
    expect(
      portsRequest(req({ runtimeConfig: { portMappings: [{ hostPort: 1, containerPort: 2 }] }, localhost: false }), prevResult),
    ).toEqual({
      owner: { network: 'web', containerId: 'c1', ifname: 'eth0' },
      mappings: [{ protocol: 'tcp', hostPort: 1, containerPort: 2 }],
      config: { localhost: false, localhost6: false, stateDir },
      result: prevResult,
    });
  });

  it('returns the result it was given, unchanged', async () => {
    const nft = new FakeNft();
    const out = await portsAdd(req({ runtimeConfig: { portMappings: [{ hostPort: 8080, containerPort: 80 }] } }), prevResult, {
      executor: nft,
      sysctl: memorySysctl(),
      routeTable: () => routeTable,
      proxies: fakeProxies(),
    });
    expect(out).toBe(prevResult);
    expect(nft.inputs).toHaveLength(1);
  });

  it('needs a prevResult for ADD and CHECK (code 7) and rejects bad mappings before touching nft', async () => {
    await expect(zonePortsHandlers.add!(req({}, false))).rejects.toMatchObject({ code: 7, message: 'zone-ports ADD needs a prevResult' });
    await expect(zonePortsHandlers.check!(req({}, false))).rejects.toMatchObject({ code: 7 });
    await expect(
      zonePortsHandlers.add!(req({ runtimeConfig: { portMappings: [{ hostPort: 0, containerPort: 80 }] } })),
    ).rejects.toMatchObject({ code: 7 });
  });

  it('DEL neither reads nor validates the mappings it is sent', async () => {
    const published = {
      kind: 'element' as const,
      set: 'ports_any_v4',
      key: ['tcp', '8080'],
      value: ['10.89.0.5', '80'],
      comment: 'ports web c1 eth0',
    };
    const nft = portsTable([published]);
    const del = req({ runtimeConfig: { portMappings: [{ hostPort: 0, containerPort: 80 }] } });
    await expect(portsDel(del, { executor: nft })).resolves.toBeUndefined();
    expect(elementsIn(nft)).toEqual([]);
    await expect(portsDel(del, { executor: new FakeNft() })).resolves.toBeUndefined();
  });

  it('STATUS is code 50 when nft cannot run, and passes when it can', async () => {
    const broken = new FakeNft(() => Object.assign(new Error('Operation not supported'), { details: 'no nf_tables' }));
    await expect(portsStatus(req(), { executor: broken })).rejects.toMatchObject({
      code: 50,
      details: expect.stringMatching(/Operation not supported/),
    });
    await expect(portsStatus(req(), { executor: new FakeNft(), proxies: fakeProxies() })).resolves.toBeUndefined();
  });

  it('STATUS is code 50 when [::1] is on and no proxy can start, and passes with localhost "ipv4"', async () => {
    const missing = {
      ...fakeProxies(),
      available: () => {
        throw new ProxyError('unavailable', 'systemd-socket-proxyd is not installed: [::1] cannot be published');
      },
    };
    const failure = await portsStatus(req(), { executor: new FakeNft(), proxies: missing }).catch(asCniError);
    expect(failure).toMatchObject({ code: 50, message: expect.stringMatching(/\[::1\] cannot be published/) });
    await expect(portsStatus(req({ localhost: 'ipv4' }), { executor: new FakeNft(), proxies: missing })).resolves.toBeUndefined();
  });
});
