// DEL cleans up whatever its configuration says (SPEC: DEL cleans up as much as it can and
// succeeds when things are already gone). Each case: a good ADD of the `zone` plugin (netlink
// backend) with published ports, then a DEL whose config or environment is broken or changed
// in a way DEL does not need — a malformed prevResult, bad or no port mappings, no
// runtimeConfig, another or an invalid zone, other ranges, a namespace already gone — and DEL
// exits 0 with everything of that attachment gone: the host veth and the container end,
// the addresses in the IPAM store, the nft elements, the ports record.

import { readdirSync, rmSync } from 'node:fs';
import { expect, it, onTestFinished } from 'vitest';
import { removeNetns } from '../support/netns.js';
import { makeTestTempDir } from '../support/paths.js';
import { privileged } from '../support/privileges.js';
import {
  allocations,
  createZoneWorld,
  hostVeths,
  link,
  nftRuleset,
  storeFiles,
  useZoneBundle,
  zoneTools,
  type ZoneWorld,
} from '../support/zone-world.js';

const priv = privileged(zoneTools);

useZoneBundle();

const CONTAINER_ID = 'ctr-matrix';
const MAPPINGS = [
  { hostPort: 18080, containerPort: 80 },
  { hostPort: 18081, containerPort: 81, hostIP: '127.0.0.1' },
];

interface Variant {
  /** The DEL configuration, from the one ADD used. */
  conf?: (world: ZoneWorld, added: Record<string, unknown>) => Record<string, unknown>;
  /** CNI_NETNS of the DEL; by default the container's. */
  netns?: string;
  /** The container's namespace is removed before DEL, as a runtime may do. */
  netnsGone?: boolean;
}

/** The attachments' port records (the directory also holds ports' lock and markers). */
const records = (dir: string) => readdirSync(dir).filter((name) => name.endsWith('.json'));

const without = (conf: Record<string, unknown>, ...keys: string[]) =>
  Object.fromEntries(Object.entries(conf).filter(([k]) => !keys.includes(k)));

const variants: [string, Variant][] = [
  ['the same config', {}],
  ['a prevResult of "x"', { conf: (_, c) => ({ ...c, prevResult: 'x' }) }],
  [
    'a prevResult with a malformed address',
    { conf: (_, c) => ({ ...c, prevResult: { cniVersion: '1.1.0', ips: [{ address: 'nope' }] } }) },
  ],
  [
    'a portMappings entry with hostPort 0',
    { conf: (_, c) => ({ ...c, runtimeConfig: { portMappings: [{ hostPort: 0, containerPort: 80 }] } }) },
  ],
  ['portMappings of garbage', { conf: (_, c) => ({ ...c, runtimeConfig: { portMappings: 'garbage' } }) }],
  ['portMappings entries of garbage', { conf: (_, c) => ({ ...c, runtimeConfig: { portMappings: [{ hostPort: 'x' }, 7, null] } }) }],
  ['an empty portMappings', { conf: (_, c) => ({ ...c, runtimeConfig: { portMappings: [] } }) }],
  ['an empty runtimeConfig', { conf: (_, c) => ({ ...c, runtimeConfig: {} }) }],
  ['no runtimeConfig and no capabilities', { conf: (_, c) => without(c, 'runtimeConfig', 'capabilities') }],
  ['a runtimeConfig that is no object', { conf: (_, c) => ({ ...c, runtimeConfig: 'x' }) }],
  ['capabilities that do not parse', { conf: (_, c) => ({ ...c, capabilities: { portMappings: 'yes' } }) }],
  ['another zone', { conf: (_, c) => ({ ...c, zone: 'other' }) }],
  ['an invalid zone', { conf: (_, c) => ({ ...c, zone: 'not a zone!' }) }],
  ['a zone that is no string', { conf: (_, c) => ({ ...c, zone: 7 }) }],
  ['another backend, networkDir and mtu that do not parse', { conf: (_, c) => ({ ...c, backend: 'x', networkDir: 'rel', mtu: 1 }) }],
  ['a broken localhost', { conf: (_, c) => ({ ...c, localhost: 'yes' }) }],
  ['other ranges', { conf: (w, c) => ({ ...c, ipam: { type: 'zone-ipam', dataDir: w.dataDir, ranges: [[{ subnet: '10.77.0.0/24' }]] } }) }],
  ['ranges that do not parse', { conf: (w, c) => ({ ...c, ipam: { type: 'zone-ipam', dataDir: w.dataDir, ranges: 'x', routes: 5 } }) }],
  ['the namespace already gone', { netnsGone: true }],
  ['no CNI_NETNS at all, the namespace gone', { netnsGone: true, netns: '' }],
  [
    'everything at once',
    {
      netnsGone: true,
      conf: (w, c) => ({
        ...without(c, 'capabilities'),
        prevResult: 'x',
        zone: '!',
        localhost: 1,
        runtimeConfig: { portMappings: [{ hostPort: 0 }] },
        ipam: { type: 'zone-ipam', dataDir: w.dataDir, ranges: [[{ subnet: 5 }]] },
      }),
    },
  ],
];

priv.describe('zone plugin: DEL removes the attachment whatever its config says', () => {
  it.each(variants)('with %s', async (_, variant) => {
    const portsStateDir = makeTestTempDir('ports-state');
    onTestFinished(() => rmSync(portsStateDir, { recursive: true, force: true }));
    const world = await createZoneWorld({ plugin: { capabilities: { portMappings: true }, portsStateDir } });
    const ct = await world.container('ct');
    const addConf = world.conf({ runtimeConfig: { portMappings: MAPPINGS } });
    await world.add({ container: ct, containerId: CONTAINER_ID, conf: addConf });
    // what there is to remove
    expect(await hostVeths(world.host)).toHaveLength(1);
    expect(allocations(world.store)).toHaveLength(2);
    expect(await nftRuleset(world.host)).toContain(CONTAINER_ID);
    expect(records(portsStateDir)).toHaveLength(1);

    if (variant.netnsGone) await removeNetns(ct);
    const conf = variant.conf?.(world, addConf) ?? addConf;
    const outcome = await world.run('DEL', { container: variant.netns ?? ct, containerId: CONTAINER_ID, conf });
    expect(outcome.exitCode, `${outcome.stdout}${outcome.stderr}`).toBe(0);
    expect(outcome.stdout).toBe('');

    expect(await hostVeths(world.host)).toEqual([]);
    if (!variant.netnsGone) expect(await link(ct, 'eth0')).toBeUndefined();
    expect(allocations(world.store)).toEqual([]);
    expect(storeFiles(world.store).filter((f) => f.startsWith('.'))).toEqual([]);
    const ruleset = await nftRuleset(world.host);
    expect(ruleset).not.toContain(CONTAINER_ID);
    expect(ruleset).not.toMatch(/1808[01]/);
    expect(records(portsStateDir)).toEqual([]);
    expect(readdirSync(portsStateDir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  // Found by fuzzing: ADD without ports never reads portsStateDir, DEL looked for a record there.
  it('of an attachment without ports, whatever its portsStateDir says', async () => {
    const world = await createZoneWorld({ plugin: { portsStateDir: 'not/a/path/..' } });
    const ct = await world.container('ct');
    await world.add({ container: ct, containerId: CONTAINER_ID });
    await world.del({ container: ct, containerId: CONTAINER_ID });
    expect(await hostVeths(world.host)).toEqual([]);
    expect(allocations(world.store)).toEqual([]);
  });
});
