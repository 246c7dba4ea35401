import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFLIST_FILE, DEFAULT_NETWORK, exampleConfList, renderConfList } from '../../../cli/zonectl/example.js';
import { parseNetConf } from '../../../lib/cni/config.js';
import { loadIpamConfig } from '../../../lib/ipam/config.js';
import { parseConfList } from '../../../lib/runtime/conf.js';
import { loadZoneConfig } from '../../../lib/zone/plan.js';
import { repoRoot } from '../../support/paths.js';

function pluginConf(text: string) {
  const list = parseConfList(text);
  const [plugin] = list.plugins;
  return parseNetConf(JSON.stringify({ ...plugin?.conf, name: list.name, cniVersion: list.cniVersion })).conf;
}

describe('the example network', () => {
  it('is what examples/cni-zones.conflist holds', () => {
    expect(readFileSync(join(repoRoot, 'examples', CONFLIST_FILE), 'utf8')).toBe(renderConfList(exampleConfList()));
  });

  it('runs at 1.1.0 for new runtimes and offers 1.0.0 to libcni 1.1.2', () => {
    const list = parseConfList(renderConfList(exampleConfList()));
    expect(list.name).toBe(DEFAULT_NETWORK);
    expect(list.cniVersion).toBe('1.1.0');
    expect(JSON.parse(renderConfList(exampleConfList()))).toMatchObject({ cniVersion: '1.0.0', cniVersions: ['1.0.0', '1.1.0'] });
  });

  it('is a valid zone and IPAM configuration whose addresses stay below the DHCP pool', () => {
    const conf = pluginConf(renderConfList(exampleConfList()));
    const zone = loadZoneConfig(conf);
    expect(zone).toMatchObject({ zone: 'cni-zones', bridge: 'vz-cni-zones', backend: 'auto', dhcpPool: { offset: 128, size: 100 } });
    const ipam = loadIpamConfig(conf);
    expect(ipam.rangeSets).toHaveLength(2);
    const v4 = ipam.rangeSets[0]?.[0];
    expect(v4?.end.value).toBeLessThan((10n << 24n) + (89n << 16n) + 128n);
  });

  it("takes the demo's variations", () => {
    const conf = exampleConfList({
      network: 'demo',
      ipv6Prefix: false,
      backend: 'netlink',
      dataDir: '/d',
      networkDir: '/n',
      portsStateDir: '/p',
    });
    const plugin = (conf.plugins as Record<string, unknown>[])[0];
    expect(plugin).toMatchObject({
      zone: 'demo',
      backend: 'netlink',
      networkDir: '/n',
      portsStateDir: '/p',
      ipam: { dataDir: '/d', ranges: [[{ subnet: '10.89.0.0/24' }]], routes: [{ dst: '0.0.0.0/0' }] },
    });
  });

  it('renders short values on one line, and is JSON', () => {
    const text = renderConfList(exampleConfList());
    expect(text).toContain('"cniVersions": ["1.0.0", "1.1.0"],');
    expect(text.endsWith('}\n')).toBe(true);
    expect(JSON.parse(text)).toEqual(exampleConfList());
    expect(Math.max(...text.split('\n').map((l) => l.length))).toBeLessThanOrEqual(80);
  });
});
