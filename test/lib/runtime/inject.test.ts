import { describe, expect, it } from 'vitest';
import type { Result } from '../../../lib/cni/types.js';
import { parseConfList } from '../../../lib/runtime/conf.js';
import { attachmentStdin, networkStdin, runtimeConfigFor } from '../../../lib/runtime/inject.js';

const list = parseConfList(
  JSON.stringify({
    cniVersion: '1.0.0',
    cniVersions: ['1.0.0', '0.4.0'],
    name: 'web',
    plugins: [
      {
        type: 'zone',
        name: 'ignored',
        cniVersion: '0.3.1',
        zone: 'web',
        capabilities: { portMappings: true, ips: true, mac: false },
      },
      { type: 'zone-ports', runtimeConfig: { fromFile: 1 } },
    ],
  }),
);
const [main, ports] = list.plugins as [(typeof list.plugins)[0], (typeof list.plugins)[0]];

const prev: Result = {
  cniVersion: '1.1.0',
  interfaces: [{ name: 'eth0', sandbox: '/run/netns/x', mtu: 1400 }],
  ips: [{ address: '10.89.0.5/24', gateway: '10.89.0.1', interface: 0 }],
  routes: [{ dst: '0.0.0.0/0', priority: 5 }],
};

const capabilityArgs = {
  portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }],
  mac: 'c2:11:22:33:44:55',
  bandwidth: { ingressRate: 1 },
};

function parsed(text: string): Record<string, unknown> {
  return JSON.parse(text) as Record<string, unknown>;
}

describe('runtimeConfigFor', () => {
  it('keeps only capability arguments the plugin enables with true', () => {
    expect(runtimeConfigFor({ portMappings: true, ips: true, mac: false }, capabilityArgs)).toEqual({
      portMappings: capabilityArgs.portMappings,
    });
    expect(runtimeConfigFor({}, capabilityArgs)).toEqual({});
  });
});

describe('attachmentStdin', () => {
  it("injects the list's name and cniVersion over the plugin's own", () => {
    const conf = parsed(attachmentStdin(list, main, undefined));
    expect(conf.name).toBe('web');
    expect(conf.cniVersion).toBe('1.0.0');
    expect(conf.zone).toBe('web');
    expect(conf.type).toBe('zone');
  });

  it('removes capabilities and adds runtimeConfig = capabilities ∩ capability arguments', () => {
    const conf = parsed(attachmentStdin(list, main, undefined, capabilityArgs));
    expect(conf).not.toHaveProperty('capabilities');
    expect(conf.runtimeConfig).toEqual({ portMappings: capabilityArgs.portMappings });
  });

  it('adds no runtimeConfig when no capability applies, leaving one from the file alone', () => {
    expect(parsed(attachmentStdin(list, main, undefined, { bandwidth: 1 }))).not.toHaveProperty('runtimeConfig');
    expect(parsed(attachmentStdin(list, ports, undefined, capabilityArgs)).runtimeConfig).toEqual({ fromFile: 1 });
  });

  it('has no prevResult for the first plugin', () => {
    expect(parsed(attachmentStdin(list, main, undefined))).not.toHaveProperty('prevResult');
  });

  it("converts prevResult to the list's version", () => {
    const conf = parsed(attachmentStdin(list, ports, prev));
    expect(conf.prevResult).toEqual({
      cniVersion: '1.0.0',
      interfaces: [{ name: 'eth0', sandbox: '/run/netns/x' }],
      ips: [{ address: '10.89.0.5/24', gateway: '10.89.0.1', interface: 0 }],
      routes: [{ dst: '0.0.0.0/0' }],
    });
  });

  it('writes legacy prevResults with ips[].version for 0.x lists', () => {
    const old = parseConfList(JSON.stringify({ cniVersion: '0.4.0', name: 'old', plugins: [{ type: 'x' }] }));
    const conf = parsed(attachmentStdin(old, old.plugins[0]!, prev));
    expect((conf.prevResult as { ips: unknown[] }).ips[0]).toMatchObject({ version: '4', address: '10.89.0.5/24' });
  });

  it('marshals like libcni: keys sorted', () => {
    const text = attachmentStdin(list, main, undefined);
    expect(text).toBe('{"cniVersion":"1.0.0","name":"web","type":"zone","zone":"web"}');
  });
});

describe('networkStdin', () => {
  it('injects name, cniVersion and extra keys, and keeps capabilities', () => {
    const conf = parsed(networkStdin(list, main, { 'cni.dev/valid-attachments': [] }));
    expect(conf).toMatchObject({ name: 'web', cniVersion: '1.0.0', 'cni.dev/valid-attachments': [] });
    expect(conf.capabilities).toEqual({ portMappings: true, ips: true, mac: false });
    expect(conf).not.toHaveProperty('runtimeConfig');
  });
});
