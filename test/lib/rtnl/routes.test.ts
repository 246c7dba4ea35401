import { describe, expect, it } from 'vitest';
import {
  attribute,
  decodeAttributes,
  findAddress,
  findAttribute,
  findU32,
  nestedAttribute,
  u32Attribute,
} from '../../../lib/rtnl/attributes.js';
import { isRtnlExists, isRtnlNotFound } from '../../../lib/rtnl/errors.js';
import { encodeRequest, NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL, NLM_F_REPLACE } from '../../../lib/rtnl/netlink.js';
import {
  addRoute,
  addRouteRequest,
  decodeRouteHeader,
  deleteRoute,
  deleteRouteRequest,
  listRoutes,
  parseRoute,
  RT_TABLE_MAIN,
  RTM_NEWROUTE,
} from '../../../lib/rtnl/routes.js';
import { EEXIST, ESRCH, fakeSocket, kernelRejects, routeMessage } from './fake-socket.js';
import { le, sentByIp } from './ip-captures.js';

// linux/rtnetlink.h
const RTA_DST = 1;
const RTA_OIF = 4;
const RTA_GATEWAY = 5;
const RTA_PRIORITY = 6;
const RTA_PREFSRC = 7;
const RTA_METRICS = 8;
const RTA_TABLE = 15;
const RTAX_MTU = 2;
const RTAX_ADVMSS = 8;

function decodeRoute(body: Buffer) {
  return { header: decodeRouteHeader(body)!, attributes: decodeAttributes(body.subarray(12)) };
}

const ipIn = (attributes: ReturnType<typeof decodeAttributes>, type: number) => findAddress(attributes, type);

describe('route requests', () => {
  it.runIf(le)('are byte for byte what `ip route add/del` sends', () => {
    const added = addRouteRequest({ dst: '192.0.2.0/24', gw: '10.89.0.1', dev: 4, metric: 50, mtu: 1300 });
    expect(encodeRequest(added, sentByIp.seq)).toEqual(sentByIp.route);
    const deleted = deleteRouteRequest({ dst: '192.0.2.0/24', gw: '10.89.0.1', dev: 3 });
    expect(encodeRequest(deleted, sentByIp.seq)).toEqual(sentByIp.deleteRoute);
  });

  it('send a default route via a gateway without RTA_DST, family from the gateway', () => {
    const request = addRouteRequest({ dst: 'default', gw: '10.89.0.1', dev: 4 });
    expect(request).toMatchObject({ type: RTM_NEWROUTE, flags: NLM_F_CREATE | NLM_F_EXCL });
    const { header, attributes } = decodeRoute(request.body);
    expect(header).toMatchObject({ family: 2, dstLength: 0, table: RT_TABLE_MAIN, protocol: 3, scope: 0, type: 1, flags: 0 });
    expect(attributes.map((a) => a.type)).toEqual([RTA_GATEWAY, RTA_OIF]);
    expect(ipIn(attributes, RTA_GATEWAY)).toBe('10.89.0.1');
    expect(findU32(attributes, RTA_OIF)).toBe(4);
  });

  it('treat 0.0.0.0/0 and ::/0 as default', () => {
    expect(findAttribute(decodeRoute(addRouteRequest({ dst: '0.0.0.0/0', gw: '10.0.0.1' }).body).attributes, RTA_DST)).toBeUndefined();
    expect(decodeRoute(addRouteRequest({ dst: '::/0', gw: 'fd89::1' }).body).header.family).toBe(10);
  });

  it('clear host bits of the destination and scope a device route to the link', () => {
    const { header, attributes } = decodeRoute(addRouteRequest({ dst: '10.89.3.7/16', dev: 2 }).body);
    expect(ipIn(attributes, RTA_DST)).toBe('10.89.0.0');
    expect(header).toMatchObject({ dstLength: 16, scope: 253 });
    expect(findAttribute(attributes, RTA_GATEWAY)).toBeUndefined();
  });

  it('carry metric, source, MTU, advmss, onlink and a table above 255 in RTA_TABLE', () => {
    const spec = { dst: 'fd00::/8', gw: 'fd89::1', metric: 100, src: 'fd89::2', mtu: 1280, advmss: 1200, onlink: true, table: 1000 };
    const request = addRouteRequest({ ...spec, replace: true });
    expect(request.flags).toBe(NLM_F_CREATE | NLM_F_REPLACE);
    const { header, attributes } = decodeRoute(request.body);
    expect(findU32(attributes, RTA_PRIORITY)).toBe(100);
    expect(ipIn(attributes, RTA_PREFSRC)).toBe('fd89::2');
    const metrics = decodeAttributes(findAttribute(attributes, RTA_METRICS)!);
    expect([findU32(metrics, RTAX_MTU), findU32(metrics, RTAX_ADVMSS)]).toEqual([1280, 1200]);
    expect(header.flags).toBe(4); // RTNH_F_ONLINK
    expect(header.table).toBe(0);
    expect(findU32(attributes, RTA_TABLE)).toBe(1000);
  });

  it('for deletion match any scope, protocol and type, and leave metrics out', () => {
    const { header, attributes } = decodeRoute(deleteRouteRequest({ dst: 'default', gw: '10.0.0.1', mtu: 1400 }).body);
    expect(header).toMatchObject({ protocol: 0, scope: 255, type: 0 });
    expect(findAttribute(attributes, RTA_METRICS)).toBeUndefined();
  });

  it('need a family for a default route without gateway, and a consistent one', () => {
    expect(() => addRouteRequest({ dst: 'default', dev: 2 })).toThrow(/gateway or a family/);
    expect(decodeRoute(addRouteRequest({ dst: 'default', dev: 2, family: 6 }).body).header.family).toBe(10);
    expect(() => addRouteRequest({ dst: '10.0.0.0/8', gw: 'fd89::1' })).toThrow(/disagree/);
    expect(() => addRouteRequest({ dst: 'default', gw: '10.0.0.1', family: 6 })).toThrow(/disagree/);
  });
});

describe('parseRoute', () => {
  it('reads a kernel route message, names as `ip route` prints them', () => {
    const message = routeMessage({ family: 2, dstLength: 24, table: 254, protocol: 2, scope: 253, type: 1 }, [
      u32Attribute(RTA_TABLE, 254),
      attribute(RTA_DST, Buffer.from([10, 89, 0, 0])),
      attribute(RTA_PREFSRC, Buffer.from([10, 89, 0, 2])),
      u32Attribute(RTA_OIF, 4),
    ]);
    expect(parseRoute(message.body)).toEqual({
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

  it('writes a default route as a /0 prefix, reads the MTU metric, and keeps unknown values as numbers', () => {
    const message = routeMessage({ family: 10, protocol: 99, scope: 17, type: 42 }, [
      attribute(RTA_GATEWAY, Buffer.from('fd890000000000000000000000000001', 'hex')),
      u32Attribute(RTA_PRIORITY, 1024),
      nestedAttribute(RTA_METRICS, [u32Attribute(RTAX_MTU, 1300)]),
    ]);
    expect(parseRoute(message.body)).toMatchObject({
      dst: '::/0',
      gw: 'fd89::1',
      metric: 1024,
      mtu: 1300,
      protocol: 99,
      scope: 17,
      type: 42,
      table: 254,
    });
  });

  it('skips families that are not IP', () => {
    expect(parseRoute(routeMessage({ family: 28 }).body)).toBeUndefined();
  });
});

describe('route operations', () => {
  it('adds and maps EEXIST', async () => {
    const fake = fakeSocket();
    fake.answer('newRoute', [], kernelRejects(EEXIST));
    await addRoute(fake.socket, { dst: 'default', gw: '10.0.0.1' });
    expect(fake.sent[0]?.operation).toBe('add route default via 10.0.0.1');
    expect(isRtnlExists(await addRoute(fake.socket, { dst: 'default', gw: '10.0.0.1' }).catch((e: unknown) => e))).toBe(true);
  });

  it('maps ESRCH on delete to isRtnlNotFound', async () => {
    const fake = fakeSocket();
    fake.answer('delRoute', kernelRejects(ESRCH));
    expect(isRtnlNotFound(await deleteRoute(fake.socket, { dst: '10.5.0.0/16' }).catch((e: unknown) => e))).toBe(true);
  });

  it('lists the main table by default with a dump, filtered by device and family', async () => {
    const fake = fakeSocket();
    const route = (table: number, oif: number, family = 2) =>
      routeMessage({ family, table: table < 256 ? table : 0 }, [u32Attribute(RTA_TABLE, table), u32Attribute(RTA_OIF, oif)]);
    fake.answer('getRoutes', [route(254, 2), route(255, 2), route(254, 3), route(254, 2, 10), route(1000, 2)]);
    expect(await listRoutes(fake.socket)).toHaveLength(3);
    expect(fake.sent[0]?.flags).toBe(NLM_F_DUMP);
    expect(await listRoutes(fake.socket, { dev: 2 })).toHaveLength(2);
    expect(await listRoutes(fake.socket, { dev: 2, family: 6 })).toHaveLength(1);
    expect(decodeRouteHeader(fake.sent[2]!.body)?.family).toBe(10);
    expect(await listRoutes(fake.socket, { table: 'all' })).toHaveLength(5);
    expect(await listRoutes(fake.socket, { table: 1000 })).toHaveLength(1);
  });
});
