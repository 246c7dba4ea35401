import { describe, expect, it } from 'vitest';
import { attachmentAlias, bridgeMac, hostVethName, parseAttachmentAlias } from '../../../lib/names/attachment.js';

describe('hostVethName', () => {
  it('is vz and 13 hex digits: 15 bytes, an interface name the kernel takes', () => {
    const name = hostVethName('3f1e0c2a9b', 'eth0');
    expect(name).toMatch(/^vz[0-9a-f]{13}$/);
    expect(Buffer.byteLength(name)).toBe(15);
  });

  it('is the same for the same attachment, so DEL finds it without a prevResult', () => {
    expect(hostVethName('ctr', 'eth0')).toBe(hostVethName('ctr', 'eth0'));
  });

  it('differs per container and per ifname, also where the concatenations would be equal', () => {
    const names = new Set([
      hostVethName('ctr', 'eth0'),
      hostVethName('ctr', 'eth1'),
      hostVethName('ctr2', 'eth0'),
      hostVethName('a', 'bc'),
      hostVethName('ab', 'c'),
    ]);
    expect(names.size).toBe(5);
  });

  it('never starts with ve- (systemd gives ve-* links a DHCP server)', () => {
    for (let i = 0; i < 200; i += 1) expect(hostVethName(`c${i}`, 'eth0').startsWith('ve-')).toBe(false);
  });
});

describe('attachment alias', () => {
  it('round-trips network, container ID and ifname', () => {
    const alias = attachmentAlias('web', 'cnitool-0123456789abcdef0123', 'eth0');
    expect(alias).toBe('cni-zones web cnitool-0123456789abcdef0123 eth0');
    expect(parseAttachmentAlias(alias)).toEqual({ network: 'web', containerId: 'cnitool-0123456789abcdef0123', ifname: 'eth0' });
  });

  it('does not claim aliases that are not ours', () => {
    expect(parseAttachmentAlias(undefined)).toBeUndefined();
    expect(parseAttachmentAlias('')).toBeUndefined();
    expect(parseAttachmentAlias('uplink to the lab')).toBeUndefined();
    expect(parseAttachmentAlias('cni-zones web ctr')).toBeUndefined();
    expect(parseAttachmentAlias('cni-zones web ctr eth0 extra')).toBeUndefined();
    expect(parseAttachmentAlias('other web ctr eth0')).toBeUndefined();
  });
});

describe('bridgeMac', () => {
  const unicastLocal = (mac: string) => {
    const first = parseInt(mac.slice(0, 2), 16);
    return (first & 1) === 0 && (first & 2) === 2;
  };

  it('is a locally administered unicast MAC', () => {
    for (const bridge of ['vz-web', 'vz-db', 'vz-a', 'vz-123456789012']) {
      const mac = bridgeMac(bridge, '0123456789abcdef0123456789abcdef');
      expect(mac).toMatch(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
      expect(unicastLocal(mac)).toBe(true);
    }
  });

  it('is stable for a bridge on one machine and differs between bridges and machines', () => {
    const id = 'f00dfeedf00dfeedf00dfeedf00dfeed';
    expect(bridgeMac('vz-web', id)).toBe(bridgeMac('vz-web', id));
    expect(bridgeMac('vz-web', id)).not.toBe(bridgeMac('vz-db', id));
    expect(bridgeMac('vz-web', id)).not.toBe(bridgeMac('vz-web', 'beefbeefbeefbeefbeefbeefbeefbeef'));
    expect(unicastLocal(bridgeMac('vz-web', ''))).toBe(true);
  });

  it('differs between the hosts of a zone across hosts even when they share a machine ID (cloned images)', () => {
    const id = 'f00dfeedf00dfeedf00dfeedf00dfeed';
    expect(bridgeMac('vz-web', id, '192.0.2.1')).not.toBe(bridgeMac('vz-web', id, '192.0.2.2'));
    expect(bridgeMac('vz-web', id, '192.0.2.1')).toBe(bridgeMac('vz-web', id, '192.0.2.1'));
    expect(unicastLocal(bridgeMac('vz-web', id, '192.0.2.1'))).toBe(true);
  });
});
