import { describe, expect, it } from 'vitest';
import { ConntrackError, conntrackRefused } from '../../../lib/conntrack/errors.js';
import { type FlowDestination, flushFlows, listFlows } from '../../../lib/conntrack/flush.js';
import { IPPROTO_TCP, IPPROTO_UDP } from '../../../lib/conntrack/messages.js';
import { parseAddress } from '../../../lib/ip/index.js';
import { FakeConntrack, type FakeFlow } from './fake-kernel.js';

const flow = (id: number, destination: string, destinationPort: number, extra: Partial<FakeFlow> = {}): FakeFlow => ({
  family: destination.includes(':') ? 6 : 4,
  protocol: IPPROTO_UDP,
  source: destination.includes(':') ? '2001:db8::2' : '192.0.2.2',
  sourcePort: 40_000 + id,
  destination,
  destinationPort,
  id,
  ...extra,
});

const udp = (port: number, extra: Partial<FlowDestination> = {}): FlowDestination => ({ family: 4, protocol: IPPROTO_UDP, port, ...extra });

describe('flushFlows', () => {
  it('deletes the flows to the given ports, any address, and nothing else', () => {
    const kernel = new FakeConntrack([
      flow(1, '192.0.2.1', 8080),
      flow(2, '127.0.0.1', 8080),
      flow(3, '192.0.2.1', 8081),
      flow(4, '192.0.2.1', 8080, { protocol: IPPROTO_TCP }),
      flow(5, '2001:db8::1', 8080),
    ]);
    expect(flushFlows([udp(8080)], { open: () => kernel })).toBe(2);
    expect(kernel.deleted).toEqual([1, 2]);
    expect(kernel.flows.map((f) => f.id)).toEqual([3, 4, 5]);
    expect(kernel.closed).toBe(1);
  });

  it('keeps to the address when one is given, and to the family', () => {
    const kernel = new FakeConntrack([
      flow(1, '192.0.2.1', 53),
      flow(2, '127.0.0.1', 53),
      flow(3, '2001:db8::1', 53),
      flow(4, '2001:db8::9', 53),
    ]);
    const deleted = flushFlows(
      [udp(53, { address: parseAddress('127.0.0.1') }), udp(53, { family: 6, address: parseAddress('2001:db8::1') })],
      { open: () => kernel },
    );
    expect(deleted).toBe(2);
    expect(kernel.deleted.sort()).toEqual([2, 3]);
  });

  it('asks the kernel for a few ports one by one, for many ports all flows of the protocol at once', () => {
    const few = new FakeConntrack([]);
    flushFlows([udp(1), udp(2), udp(2, { address: parseAddress('127.0.0.1') }), udp(3, { family: 6 })], { open: () => few });
    expect(few.dumps).toEqual([
      { family: 4, protocol: IPPROTO_UDP, port: 1 },
      { family: 4, protocol: IPPROTO_UDP, port: 2 },
      { family: 6, protocol: IPPROTO_UDP, port: 3 },
    ]);
    const kernel = new FakeConntrack([flow(1, '192.0.2.1', 10_005), flow(2, '192.0.2.1', 9999)]);
    const many = Array.from({ length: 1000 }, (_, i) => udp(10_000 + i));
    expect(flushFlows(many, { open: () => kernel })).toBe(1);
    expect(kernel.dumps).toEqual([{ family: 4, protocol: IPPROTO_UDP }]);
  });

  it('counts a flow that expired between dump and delete as gone, and passes other failures on, closing the socket', () => {
    const kernel = new FakeConntrack([flow(1, '192.0.2.1', 8080), flow(2, '192.0.2.1', 8080)]);
    kernel.expiring.add(1);
    expect(flushFlows([udp(8080)], { open: () => kernel })).toBe(1);

    const broken = new FakeConntrack([]);
    broken.exchange = () => {
      throw conntrackRefused('list IPv4 udp flows', 1, 'Operation not permitted');
    };
    expect(() => flushFlows([udp(8080)], { open: () => broken })).toThrow(ConntrackError);
    expect(broken.closed).toBe(1);
  });

  it('opens no socket for no destinations', () => {
    expect(
      flushFlows([], {
        open: () => {
          throw new Error('opened');
        },
      }),
    ).toBe(0);
  });
});

describe('listFlows', () => {
  it('lists the entries of a family and protocol with their destinations', () => {
    const kernel = new FakeConntrack([flow(1, '2001:db8::1', 5353), flow(2, '192.0.2.1', 5353)]);
    const [entry, ...rest] = listFlows({ family: 6, protocol: IPPROTO_UDP }, { open: () => kernel });
    expect(rest).toEqual([]);
    expect(entry).toMatchObject({ family: 6, protocol: IPPROTO_UDP, destination: parseAddress('2001:db8::1'), destinationPort: 5353 });
  });
});
