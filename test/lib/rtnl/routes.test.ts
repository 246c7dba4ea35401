import { describe, expect, it } from 'vitest';
import { readU32 } from '../../../lib/rtnl/attributes.js';
import { isExists, isNotFound } from '../../../lib/rtnl/errors.js';
import { formatIp } from '../../../lib/rtnl/ip.js';
import { addRoute, deleteRoute, listRoutes, parseRoute, routeRequest, RT_TABLE_MAIN } from '../../../lib/rtnl/routes.js';
import { NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE } from '../../../lib/rtnl/socket.js';
import { fakeSocket, kernelRejects } from './fake-socket.js';

const ip = (buffer: unknown) => formatIp(buffer as Buffer);

describe('routeRequest', () => {
  it('sends a default route via a gateway without RTA_DST, family from the gateway', () => {
    const { data, attrs } = routeRequest({ dst: 'default', gw: '10.89.0.1', dev: 4 });
    expect(data).toMatchObject({ family: 2, dstLen: 0, table: RT_TABLE_MAIN, protocol: 3, scope: 0, type: 1 });
    expect(attrs.dst).toBeUndefined();
    expect(ip(attrs.gateway)).toBe('10.89.0.1');
    expect(attrs.oif).toBe(4);
    expect(attrs.table).toBe(RT_TABLE_MAIN);
  });

  it('treats 0.0.0.0/0 and ::/0 as default', () => {
    expect(routeRequest({ dst: '0.0.0.0/0', gw: '10.0.0.1' }).attrs.dst).toBeUndefined();
    expect(routeRequest({ dst: '::/0', gw: 'fd89::1' }).data.family).toBe(10);
  });

  it('clears host bits of the destination and scopes a device route to the link', () => {
    const { data, attrs } = routeRequest({ dst: '10.89.3.7/16', dev: 2 });
    expect(ip(attrs.dst)).toBe('10.89.0.0');
    expect(data).toMatchObject({ dstLen: 16, scope: 253 });
    expect(attrs.gateway).toBeUndefined();
  });

  it('carries metric, source, MTU, advmss, onlink and a table above 255', () => {
    const { data, attrs } = routeRequest({ dst: 'fd00::/8', gw: 'fd89::1', metric: 100, src: 'fd89::2', mtu: 1280, advmss: 1200, onlink: true, table: 1000 });
    expect(attrs.priority).toBe(100);
    expect(ip(attrs.prefsrc)).toBe('fd89::2');
    expect(readU32(attrs.metrics?.mtu as Buffer)).toBe(1280);
    expect(readU32(attrs.metrics?.advmss as Buffer)).toBe(1200);
    expect(data.flags).toEqual({ __unknown: 4 });
    expect(data.table).toBe(0);
    expect(attrs.table).toBe(1000);
  });

  it('for deletion matches any scope, protocol and type', () => {
    const { data, attrs } = routeRequest({ dst: 'default', gw: '10.0.0.1', mtu: 1400 }, true);
    expect(data).toMatchObject({ protocol: 0, scope: 255, type: 0 });
    expect(attrs.metrics).toBeUndefined();
  });

  it('needs a family for a default route without gateway, and a consistent one', () => {
    expect(() => routeRequest({ dst: 'default', dev: 2 })).toThrow(/gateway or a family/);
    expect(routeRequest({ dst: 'default', dev: 2, family: 6 }).data.family).toBe(10);
    expect(() => routeRequest({ dst: '10.0.0.0/8', gw: 'fd89::1' })).toThrow(/disagree/);
    expect(() => routeRequest({ dst: 'default', gw: '10.0.0.1', family: 6 })).toThrow(/disagree/);
  });
});

describe('parseRoute', () => {
  it('reads what the package parsed, enum names lowercased', () => {
    const route = parseRoute({
      data: { family: 2, dstLen: 24, table: 254, protocol: 'KERNEL', scope: 'LINK', type: 'UNICAST' },
      attrs: { dst: Buffer.from([10, 89, 0, 0]), oif: 4, table: 254, prefsrc: Buffer.from([10, 89, 0, 2]) },
    });
    expect(route).toEqual({
      family: 4,
      dst: '10.89.0.0/24',
      gw: undefined,
      dev: 4,
      table: 254,
      metric: undefined,
      scope: 'link',
      protocol: 'kernel',
      type: 'unicast',
      src: '10.89.0.2',
      mtu: undefined,
    });
  });

  it('writes a default route as a /0 prefix and keeps unknown enum values as numbers', () => {
    const route = parseRoute({ data: { family: 10, dstLen: 0, table: 254, protocol: 99 as never }, attrs: { gateway: Buffer.from('fd890000000000000000000000000001', 'hex'), priority: 1024 } });
    expect(route).toMatchObject({ dst: '::/0', gw: 'fd89::1', metric: 1024, protocol: 99 });
  });
});

describe('route operations', () => {
  it('adds with CREATE|EXCL or REPLACE and maps EEXIST', async () => {
    const fake = fakeSocket();
    fake.answer('newRoute', [], kernelRejects('EEXIST'));
    await addRoute(fake.socket, { dst: 'default', gw: '10.0.0.1', replace: true });
    expect(fake.sent[0]?.options?.flags).toBe(NLM_F_CREATE | NLM_F_REPLACE);
    const error = await addRoute(fake.socket, { dst: 'default', gw: '10.0.0.1' }).catch((e: unknown) => e);
    expect(fake.sent[1]?.options?.flags).toBe(NLM_F_CREATE | NLM_F_EXCL);
    expect(isExists(error)).toBe(true);
  });

  it('maps ESRCH on delete to isNotFound', async () => {
    const fake = fakeSocket();
    fake.answer('delRoute', kernelRejects('ESRCH'));
    expect(isNotFound(await deleteRoute(fake.socket, { dst: '10.5.0.0/16' }).catch((e: unknown) => e))).toBe(true);
  });

  it('lists the main table by default, filtered by device and family', async () => {
    const fake = fakeSocket();
    const route = (table: number, oif: number, family = 2) => ({ kind: 'route', data: { family, dstLen: 0, table }, attrs: { table, oif } });
    fake.answer('getRoutes', [route(254, 2), route(255, 2), route(254, 3), route(254, 2, 10)]);
    expect(await listRoutes(fake.socket)).toHaveLength(3);
    expect(await listRoutes(fake.socket, { dev: 2 })).toHaveLength(2);
    expect(await listRoutes(fake.socket, { dev: 2, family: 6 })).toHaveLength(1);
    expect(await listRoutes(fake.socket, { table: 'all' })).toHaveLength(4);
    expect(await listRoutes(fake.socket, { table: 255 })).toHaveLength(1);
  });
});
