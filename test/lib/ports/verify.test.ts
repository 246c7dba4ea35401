import { rmSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Result } from '../../../lib/cni/types.js';
import type { Element } from '../../../lib/nft/objects.js';
import { parsePortMappings } from '../../../lib/ports/mappings.js';
import { planElements, planOf } from '../../../lib/ports/plan.js';
import type { PortsRequest } from '../../../lib/ports/request.js';
import { type ProxyRecord, writeState } from '../../../lib/ports/state.js';
import { checkPorts } from '../../../lib/ports/verify.js';
import { makeTestTempDir } from '../../support/paths.js';
import { FakeNft } from '../../../lib/nft/fake.js';
import { fakeProxies, memorySysctl, portsTable, routeTable } from './helpers.js';

const result: Result = { cniVersion: '1.1.0', ips: [{ address: '10.89.0.5/24' }, { address: 'fd89::5/64' }] };
const owner = { network: 'web', containerId: 'c1', ifname: 'eth0' };

const proxy8080: ProxyRecord = { port: 8080, target: '[fd89::5]:80', via: 'process', pid: 1234 };

let stateDir: string;
let proxies: ReturnType<typeof fakeProxies>;
beforeEach(() => {
  stateDir = makeTestTempDir('ports-verify');
  writeState(stateDir, { owner, elements: [], proxies: [proxy8080] });
  proxies = fakeProxies();
  proxies.running.set(8080, proxy8080);
});
afterEach(() => rmSync(stateDir, { recursive: true, force: true }));

const request = (): PortsRequest => ({
  owner,
  mappings: parsePortMappings([{ hostPort: 8080, containerPort: 80 }]),
  config: { localhost: true, localhost6: true, stateDir },
  result,
});
const expected = () => {
  const plan = planOf(request());
  return [...planElements(plan), ...plan.shared];
};
const localnetOn = () => memorySysctl({ 'net.ipv4.conf.vz-web.route_localnet': '1' });

function deps(executor: FakeNft, sysctl = localnetOn()) {
  return { executor, sysctl, routeTable: () => routeTable, proxies };
}

const failure = (pattern: RegExp) => expect.objectContaining({ code: 131, message: expect.stringMatching(pattern) });

describe('checkPorts', () => {
  it('passes when every mapping and mark is there, with one listing', async () => {
    const d = deps(portsTable(expected()));
    await checkPorts(request(), d);
    expect(d.executor.calls.map((c) => c.args.join(' '))).toEqual(['-j list table inet cni_zones']);
  });

  it('reports a table flushed away', async () => {
    await expect(checkPorts(request(), deps(new FakeNft()))).rejects.toThrow(
      failure(/table inet cni_zones is missing .*tcp\/8080 \(IPv4\) → 10\.89\.0\.5:80, tcp\/8080 \(IPv6\) → \[fd89::5\]:80 gone/),
    );
  });

  it('reports every missing, foreign or misdirected element', async () => {
    const [v4, v6, target4, target6, hairpin4, hairpin6] = expected() as Element[] as [
      Element,
      Element,
      Element,
      Element,
      Element,
      Element,
    ];
    const nft = portsTable([
      { ...v4, value: ['10.89.0.9', '80'] },
      { ...v6, comment: 'ports web c2 eth0' },
      target6,
      hairpin4,
      { ...hairpin6, comment: 'anything' },
    ]);
    await expect(checkPorts(request(), deps(nft))).rejects.toThrow(
      failure(
        /^[^;]*tcp\/8080 \(IPv4\) leads to 10\.89\.0\.9:80, not 10\.89\.0\.5:80; [^;]*held by container c2 [^;]*; ports_targets_v4 entry 10\.89\.0\.5 is missing$/,
      ),
    );
    expect(target4.set).toBe('ports_targets_v4');
  });

  it('reports flushed chains and route_localnet switched off', async () => {
    await expect(checkPorts(request(), deps(portsTable(expected()).load('flush chain inet cni_zones ports_output\n')))).rejects.toThrow(
      failure(/chain ports_output has 0 rules, expected 2/),
    );
    await expect(checkPorts(request(), deps(portsTable(expected()), memorySysctl()))).rejects.toThrow(
      failure(/route_localnet is off on vz-web/),
    );
  });

  it('reports a [::1] port whose proxy stopped, or that has none', async () => {
    proxies.running.clear();
    await expect(checkPorts(request(), deps(portsTable(expected())))).rejects.toThrow(
      failure(/the proxy of tcp\/\[::1\]:8080 → \[fd89::5\]:80 is not running/),
    );
    writeState(stateDir, { owner, elements: [] });
    await expect(checkPorts(request(), deps(portsTable(expected())))).rejects.toThrow(
      failure(/tcp\/\[::1\]:8080 → \[fd89::5\]:80 has no proxy/),
    );
  });

  it('checks against the record when the request names no mappings, and passes with nothing to check', async () => {
    writeState(stateDir, { owner, elements: expected().slice(0, 1) });
    await checkPorts({ ...request(), mappings: undefined }, deps(portsTable(expected().slice(0, 1))));
    const nothing = deps(new FakeNft());
    await checkPorts({ ...request(), mappings: [] }, nothing);
    expect(nothing.executor.calls).toEqual([]);
  });
});
