import { describe, expect, it } from 'vitest';
import type { FlowDestination } from '../../../lib/conntrack/flush.js';
import { IPPROTO_UDP } from '../../../lib/conntrack/messages.js';
import { parseAddress } from '../../../lib/ip/index.js';
import type { Element } from '../../../lib/nft/objects.js';
import { forgetUdpFlows, udpDestinations } from '../../../lib/ports/flows.js';

const claim = (set: string, key: string[]): Element => ({
  kind: 'element',
  set,
  key,
  value: ['10.89.0.5', '53'],
  comment: 'ports web c1 eth0',
});

describe('udpDestinations', () => {
  it('takes the UDP claims of every DNAT map, with the host address when the key has one', () => {
    const elements = [
      claim('ports_any_v4', ['udp', '53']),
      claim('ports_any_v6', ['udp', '53']),
      claim('ports_addr_v4', ['udp', '127.0.0.1', '5353']),
      claim('ports_addr_v6', ['udp', '2001:db8::1', '443']),
      claim('ports_any_v4', ['tcp', '53']),
      { kind: 'element', set: 'ports_nolocal_v4', key: ['udp', '53'], comment: 'ports web c1 eth0' },
      { kind: 'element', set: 'ports_targets_v4', key: ['10.89.0.5'], comment: 'ports web c1 eth0' },
    ] satisfies Element[];
    expect(udpDestinations(elements)).toEqual([
      { family: 4, protocol: IPPROTO_UDP, port: 53 },
      { family: 6, protocol: IPPROTO_UDP, port: 53 },
      { family: 4, protocol: IPPROTO_UDP, port: 5353, address: parseAddress('127.0.0.1') },
      { family: 6, protocol: IPPROTO_UDP, port: 443, address: parseAddress('2001:db8::1') },
    ]);
  });
});

describe('forgetUdpFlows', () => {
  it('asks for nothing when there is no UDP claim, and only warns when forgetting fails', () => {
    const asked: FlowDestination[][] = [];
    const warnings: string[] = [];
    const flows = {
      forget: (d: readonly FlowDestination[]) => {
        asked.push([...d]);
        return 0;
      },
    };
    forgetUdpFlows(flows, [claim('ports_any_v4', ['tcp', '80'])], (w) => warnings.push(w));
    expect(asked).toEqual([]);
    const failing = {
      forget: () => {
        throw Object.assign(new Error('conntrack: cannot list IPv4 udp flows'), { details: 'errno 1' });
      },
    };
    forgetUdpFlows(failing, [claim('ports_any_v4', ['udp', '53'])], (w) => warnings.push(w));
    expect(warnings).toEqual([
      'UDP flows to the published ports may still reach their old destination: conntrack: cannot list IPv4 udp flows: errno 1',
    ]);
  });
});
