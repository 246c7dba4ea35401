import { describe, expect, it } from 'vitest';
import { checkDistinctHostPorts, formatPortSpec, parsePortSpec, portMappingsOf } from '../../../lib/nspawn/port-spec.js';

describe('parsePortSpec', () => {
  it.each([
    ['8080:80', { hostPort: 8080, containerPort: 80, protocol: 'tcp' }],
    ['80', { hostPort: 80, containerPort: 80, protocol: 'tcp' }],
    ['udp:5353', { hostPort: 5353, containerPort: 5353, protocol: 'udp' }],
    ['TCP:443:8443', { hostPort: 443, containerPort: 8443, protocol: 'tcp' }],
    ['sctp:9:9', { hostPort: 9, containerPort: 9, protocol: 'sctp' }],
  ])('%s', (spec, mapping) => {
    expect(parsePortSpec(spec)).toEqual(mapping);
    expect(parsePortSpec(formatPortSpec(parsePortSpec(spec)))).toEqual(mapping);
  });

  it.each(['', 'http:80', '0', '65536:80', '80:0', '1.2.3.4:80:80', '80:80:80', 'tcp:'])('refuses %j naming the syntax', (spec) => {
    expect(() => parsePortSpec(spec)).toThrow(/invalid port/);
    try {
      parsePortSpec(spec);
    } catch (e) {
      expect((e as { details: string }).details).toContain('HOSTPORT');
    }
  });
});

describe('checkDistinctHostPorts', () => {
  it('allows one protocol per host port each', () => {
    expect(() => checkDistinctHostPorts([parsePortSpec('53'), parsePortSpec('udp:53')])).not.toThrow();
    expect(() => checkDistinctHostPorts([parsePortSpec('8080:80'), parsePortSpec('8080:81')])).toThrow(/published twice/);
  });
});

describe('portMappingsOf', () => {
  it('reads cached capability arguments, skipping junk', () => {
    expect(
      portMappingsOf({
        portMappings: [
          { hostPort: 8080, containerPort: 80, protocol: 'TCP', hostIP: '' },
          { hostPort: 53, containerPort: 53, protocol: 'udp', hostIP: '127.0.0.1' },
          { hostPort: 'x' },
          null,
        ],
      }),
    ).toEqual([
      { hostPort: 8080, containerPort: 80, protocol: 'tcp' },
      { hostPort: 53, containerPort: 53, protocol: 'udp', hostIP: '127.0.0.1' },
    ]);
    expect(portMappingsOf(undefined)).toEqual([]);
    expect(portMappingsOf({ portMappings: 'no' })).toEqual([]);
  });
});
