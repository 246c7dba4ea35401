// A UDP host port handed from one container to another, reached by a client that keeps its
// source port (so every datagram is the same conntrack flow), from outside through the host's
// address and from the host itself through 127.0.0.1. The client must end up at the container
// that holds the port now. Two orders of handing it over:
// - DEL, then ADD: A publishes P, A's DEL takes it away (A itself keeps running: without a flush
//   its old flow would still reach it), then B publishes P.
// - ADD, then DEL: while A still publishes P on every address, B publishes P on exactly the
//   address the client uses, which wins over A's (the same port on one address and on all may
//   lead to different containers); then A's DEL.
// Without the flush on DEL the first order stays with A; without the flush on ADD both orders
// keep the client on A, or on the host it reached while nothing was published.

import { afterAll, beforeAll, describe, expect } from 'vitest';
import type { Netns } from '../support/netns.js';
import { privileged } from '../support/privileges.js';
import {
  type CniResult,
  createPortsWorld,
  GATEWAY,
  HOST_UPLINK,
  type PortsWorld,
  portsTools,
  startServer,
} from '../support/ports-world.js';
import { type FixedFlow, udpEntriesTo, udpProbe } from '../support/udp-flows.js';

const priv = privileged(portsTools);

interface Path {
  name: string;
  /** Where the client runs. */
  client(world: PortsWorld): Netns;
  host: string;
  /** The source address the container sees. */
  seenAs: string;
}

const paths: Path[] = [
  { name: 'the host address, from outside', client: (world) => world.external, host: HOST_UPLINK.v4, seenAs: '192.0.2.2' },
  { name: '127.0.0.1, from the host', client: (world) => world.host, host: '127.0.0.1', seenAs: GATEWAY.v4 },
];

describe('a reused UDP host port', () => {
  let world: PortsWorld & { cleanup(): Promise<void> };
  let a: Netns;
  let b: Netns;
  let resultA: CniResult;
  let resultB: CniResult;

  beforeAll(async () => {
    if (!priv.canRun) return;
    world = await createPortsWorld({ scope: 'manual' });
    a = await world.container('a');
    b = await world.container('b');
    resultA = await world.zoneAdd(a, 'udp-a');
    resultB = await world.zoneAdd(b, 'udp-b');
    await startServer(world.sandbox, a, 'A');
    await startServer(world.sandbox, b, 'B');
  }, 120_000);
  afterAll(() => world?.cleanup());

  const publish = (containerId: string, container: Netns, prevResult: CniResult, port: number, hostIP?: string) =>
    world.portsOk('ADD', {
      containerId,
      container,
      prevResult,
      mappings: [{ hostPort: port, containerPort: 80, protocol: 'udp', ...(hostIP && { hostIP }) }],
    });
  const unpublish = (containerId: string) => world.portsOk('DEL', { containerId });

  paths.forEach((path, i) => {
    priv.it(`DEL then ADD, over ${path.name}: the client leaves A with its DEL and reaches B after its ADD`, async () => {
      const flow: FixedFlow = { host: path.host, port: 9500 + i, sourcePort: 45_000 + i };
      const client = path.client(world);
      await publish('udp-a', a, resultA, flow.port);
      expect(await udpProbe(client, flow)).toBe(`A ${path.seenAs}`);

      await unpublish('udp-a');
      // A is still up: only its old conntrack entry could lead there
      expect(await udpProbe(client, flow, 1000)).toBe('TIMEOUT');
      // that probe left an entry without DNAT behind, which B's ADD must clear
      expect(await udpEntriesTo(world.host, flow.port)).not.toEqual([]);

      await publish('udp-b', b, resultB, flow.port);
      expect(await udpProbe(client, flow)).toBe(`B ${path.seenAs}`);
      await unpublish('udp-b');
    });

    priv.it(`ADD then DEL, over ${path.name}: B's ADD on the client's address takes the flow from A at once`, async () => {
      const flow: FixedFlow = { host: path.host, port: 9600 + i, sourcePort: 46_000 + i };
      const client = path.client(world);
      await publish('udp-a', a, resultA, flow.port);
      expect(await udpProbe(client, flow)).toBe(`A ${path.seenAs}`);

      await publish('udp-b', b, resultB, flow.port, path.host);
      expect(await udpProbe(client, flow)).toBe(`B ${path.seenAs}`);

      await unpublish('udp-a');
      expect(await udpProbe(client, flow)).toBe(`B ${path.seenAs}`);
      await unpublish('udp-b');
      expect(await udpProbe(client, flow, 1000)).toBe('TIMEOUT');
    });
  });
});
