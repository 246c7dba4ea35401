import { describe, expect, it } from 'vitest';
import { CniError } from '../../../lib/cni/errors.js';
import { describeError, keeperCapabilityArgs, needsVersion, standInResult, step } from '../../../conformance/cases/common.js';
import { parseProfile } from '../../../conformance/profile.js';

describe('describeError and step', () => {
  it('words CNI errors with their code', () => {
    expect(describeError(new CniError(7, 'bad config', 'field x'))).toBe('code 7: bad config (field x)');
    expect(describeError(new Error('plain'))).toBe('plain');
  });

  it('prefixes the failed step', async () => {
    await expect(step('ADD', () => Promise.reject(new CniError(4, 'missing CNI_NETNS')))).rejects.toThrow(
      'ADD failed: code 4: missing CNI_NETNS',
    );
    await expect(step('ADD', () => Promise.resolve(5))).resolves.toBe(5);
  });
});

describe('keeperCapabilityArgs', () => {
  it('keeps port mappings on other host ports and drops ips and mac', () => {
    const args = keeperCapabilityArgs({
      ips: ['10.0.0.5'],
      mac: '02:00:00:00:00:01',
      portMappings: [
        { hostPort: 8080, containerPort: 80, protocol: 'tcp' },
        { hostPort: 8081, containerPort: 81, protocol: 'udp' },
        { hostPort: 65535, containerPort: 82, protocol: 'tcp' },
      ],
    });
    expect(args).toEqual({
      portMappings: [
        { hostPort: 8082, containerPort: 80, protocol: 'tcp' },
        { hostPort: 8083, containerPort: 81, protocol: 'udp' },
        { hostPort: 1024, containerPort: 82, protocol: 'tcp' },
      ],
    });
    expect(keeperCapabilityArgs({ ips: ['10.0.0.5'] })).toEqual({});
  });
});

describe('standInResult and needsVersion', () => {
  it('makes a prevResult in the requested version', () => {
    const att = { containerId: 'c', ifname: 'eth0', netns: { name: 'n', path: '/run/netns/n' } };
    expect(standInResult('0.4.0', att)).toEqual({
      cniVersion: '0.4.0',
      interfaces: [{ name: 'eth0', sandbox: '/run/netns/n' }],
      ips: [{ address: '192.0.2.2/24', gateway: '192.0.2.1', interface: 0 }],
    });
  });

  it('says why a command does not apply to the claimed versions', () => {
    const profile = parseProfile(
      {
        name: 'p',
        pluginDirs: ['/x'],
        conflist: { cniVersion: '1.0.0', name: 'n', plugins: [{ type: 't' }] },
        claims: { versions: ['0.4.0', '1.0.0'] },
      },
      'p.json',
      '/',
    );
    expect(needsVersion('1.1.0', 'GC')(profile)).toBe('GC exists from spec 1.1.0 on; the set claims 0.4.0, 1.0.0');
    expect(needsVersion('0.4.0', 'CHECK')(profile)).toBeUndefined();
  });
});
