import { describe, expect, it } from 'vitest';
import { NetnsError } from '../../../lib/netns/errors.js';
import { disableRouteLocalnet, enableRouteLocalnet, routeInterface, routeLocalnetEnabled } from '../../../lib/ports/localnet.js';
import { memorySysctl, routeTable } from './helpers.js';

describe('routeInterface', () => {
  it('finds the interface of the most specific route, never the default one', () => {
    expect(routeInterface('10.89.0.5', routeTable)).toBe('vz-web');
    expect(routeInterface('192.0.2.9', routeTable)).toBe('eth0');
    expect(routeInterface('8.8.8.8', routeTable)).toBeUndefined();
    expect(routeInterface('fd89::5', routeTable)).toBeUndefined();
  });

  it('prefers a host route (ptp) and skips lo, rejected and down routes', () => {
    const table = [
      routeTable.trimEnd(),
      'veth1234\t0500590A\t00000000\t0005\t0\t0\t0\tFFFFFFFF\t0\t0\t0',
      'lo\t0600590A\t00000000\t0005\t0\t0\t0\tFFFFFFFF\t0\t0\t0',
      'dead\t0700590A\t00000000\t0000\t0\t0\t0\tFFFFFFFF\t0\t0\t0',
      'rej\t0800590A\t00000000\t0201\t0\t0\t0\tFFFFFFFF\t0\t0\t0',
      '',
    ].join('\n');
    expect(routeInterface('10.89.0.5', table)).toBe('veth1234');
    expect(routeInterface('10.89.0.6', table)).toBe('vz-web');
    expect(routeInterface('10.89.0.7', table)).toBe('vz-web');
    expect(routeInterface('10.89.0.8', table)).toBe('vz-web');
  });

  it('takes the lower metric among equal prefixes and survives junk', () => {
    const table = ['header', 'a\t0000590A\t0\t0001\t0\t0\t20\t00FFFFFF', 'b\t0000590A\t0\t0001\t0\t0\t10\t00FFFFFF', 'garbage', ''].join(
      '\n',
    );
    expect(routeInterface('10.89.0.1', table)).toBe('b');
    expect(routeInterface('10.89.0.1', '')).toBeUndefined();
  });
});

describe('route_localnet', () => {
  it('is written once, on the given interface, never on lo', async () => {
    const sysctl = memorySysctl();
    expect(await enableRouteLocalnet('vz-web', sysctl)).toBe(true);
    expect(sysctl.values).toEqual({ 'net.ipv4.conf.vz-web.route_localnet': '1' });
    expect(await enableRouteLocalnet('vz-web', sysctl)).toBe(false);
    expect(await enableRouteLocalnet('lo', sysctl)).toBe(false);
    expect(sysctl.values['net.ipv4.conf.lo.route_localnet']).toBeUndefined();
    expect(await routeLocalnetEnabled('vz-web', sysctl)).toBe(true);
    expect(await routeLocalnetEnabled('eth0', sysctl)).toBe(false);
  });

  it('is switched off on the given interface, never on lo, and an interface that is gone is fine', async () => {
    const sysctl = memorySysctl({ 'net.ipv4.conf.vz-web.route_localnet': '1', 'net.ipv4.conf.lo.route_localnet': '1' });
    await disableRouteLocalnet('vz-web', sysctl);
    await disableRouteLocalnet('lo', sysctl);
    expect(sysctl.values).toEqual({ 'net.ipv4.conf.vz-web.route_localnet': '0', 'net.ipv4.conf.lo.route_localnet': '1' });
    const gone = { read: async () => '0', write: async () => Promise.reject(new NetnsError('sysctl-missing', 'gone')) };
    await expect(disableRouteLocalnet('vz-old', gone)).resolves.toBeUndefined();
    const broken = { read: async () => '0', write: async () => Promise.reject(new NetnsError('sysctl-failed', 'EPERM')) };
    await expect(disableRouteLocalnet('vz-web', broken)).rejects.toThrow('EPERM');
  });
});
