import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../lib/cni/errors.js';
import type { NetConf } from '../../../lib/cni/config.js';
import { mappingLabel, parsePortMappings, requestedMappings } from '../../../lib/ports/mappings.js';

const invalid = (msg: RegExp | string) =>
  expect.objectContaining({ code: ErrorCode.InvalidNetworkConfig, message: expect.stringMatching(msg) });

describe('parsePortMappings', () => {
  it('reads what runtimes send, protocol in any case and tcp by default', () => {
    expect(
      parsePortMappings([
        { hostPort: 8080, containerPort: 80, protocol: 'tcp', hostIP: '' },
        { hostPort: 53, containerPort: 53, protocol: 'UDP' },
        { hostPort: 9, containerPort: 9, protocol: 'sctp', hostIP: '10.0.0.1' },
        { hostPort: 443, containerPort: 8443 },
      ]),
    ).toEqual([
      { protocol: 'tcp', hostPort: 8080, containerPort: 80 },
      { protocol: 'udp', hostPort: 53, containerPort: 53 },
      { protocol: 'sctp', hostPort: 9, containerPort: 9, family: 4, hostIP: '10.0.0.1' },
      { protocol: 'tcp', hostPort: 443, containerPort: 8443 },
    ]);
  });

  it('turns unspecified host addresses into a family restriction and writes addresses canonically', () => {
    const [any4, any6, v6, loop] = parsePortMappings([
      { hostPort: 1, containerPort: 1, hostIP: '0.0.0.0' },
      { hostPort: 1, containerPort: 1, hostIP: '::' },
      { hostPort: 1, containerPort: 1, hostIP: '2001:DB8:0:0::1' },
      { hostPort: 1, containerPort: 1, hostIP: '127.0.0.5' },
    ]);
    expect(any4).toEqual({ protocol: 'tcp', hostPort: 1, containerPort: 1, family: 4 });
    expect(any6).toEqual({ protocol: 'tcp', hostPort: 1, containerPort: 1, family: 6 });
    expect(v6?.hostIP).toBe('2001:db8::1');
    expect(loop).toMatchObject({ family: 4, hostIP: '127.0.0.5' });
  });

  it.each([
    [{ hostPort: 0, containerPort: 80 }, /hostPort must be an integer from 1 to 65535, got 0/],
    [{ hostPort: 65536, containerPort: 80 }, /hostPort .* got 65536/],
    [{ hostPort: 80, containerPort: -1 }, /containerPort .* got -1/],
    [{ hostPort: 80.5, containerPort: 80 }, /hostPort .* got 80.5/],
    [{ hostPort: 80, containerPort: 80, protocol: 'icmp' }, /unknown protocol "icmp"/],
    [{ hostPort: 80, containerPort: 80, hostIP: '10.0.0.300' }, /hostIP "10.0.0.300" is not an IP address/],
    [{ hostPort: 80, containerPort: 80, hostIP: '10.0.0.0/24' }, /not an IP address/],
    [{ hostPort: 80, containerPort: 80, hostIP: '::ffff:10.0.0.1' }, /IPv4-mapped/],
    [{ hostPort: '80', containerPort: 80 }, /portMappings/],
  ])('refuses %j with code 7', (entry, msg) => {
    expect(() => parsePortMappings([entry])).toThrow(invalid(msg));
  });

  it('takes ::1 for TCP, and explains why UDP and SCTP cannot go there', () => {
    expect(parsePortMappings([{ hostPort: 80, containerPort: 80, hostIP: '0:0::1' }])).toEqual([
      { protocol: 'tcp', hostPort: 80, containerPort: 80, family: 6, hostIP: '::1' },
    ]);
    for (const protocol of ['udp', 'sctp']) {
      try {
        parsePortMappings([{ hostPort: 80, containerPort: 80, hostIP: '::1', protocol }]);
        expect.unreachable();
      } catch (e) {
        expect(e).toMatchObject({ code: 7, message: expect.stringMatching(new RegExp(`${protocol} cannot be published on hostIP ::1`)) });
        expect((e as { details: string }).details).toMatch(/TCP only.*127\.0\.0\.1/s);
      }
    }
  });

  it('names the entry that is wrong', () => {
    expect(() =>
      parsePortMappings([
        { hostPort: 1, containerPort: 1 },
        { hostPort: 1, containerPort: 0 },
      ]),
    ).toThrow(/portMappings\[1\]/);
    expect(() => parsePortMappings({})).toThrow(invalid(/runtimeConfig.portMappings/));
  });
});

describe('requestedMappings', () => {
  const conf = (runtimeConfig?: object) =>
    ({ cniVersion: '1.0.0', name: 'n', type: 't', ...(runtimeConfig && { runtimeConfig }) }) as NetConf;

  it('is undefined without a portMappings entry, and the list otherwise', () => {
    expect(requestedMappings(conf())).toBeUndefined();
    expect(requestedMappings(conf({ mac: 'x' }))).toBeUndefined();
    expect(requestedMappings(conf({ portMappings: [] }))).toEqual([]);
    expect(requestedMappings(conf({ portMappings: [{ hostPort: 1, containerPort: 2 }] }))).toHaveLength(1);
  });
});

describe('mappingLabel', () => {
  it('writes protocol, address and port', () => {
    expect(mappingLabel({ protocol: 'tcp', hostPort: 80 })).toBe('tcp/80');
    expect(mappingLabel({ protocol: 'udp', hostPort: 53, hostIP: '127.0.0.1' })).toBe('udp/127.0.0.1:53');
    expect(mappingLabel({ protocol: 'tcp', hostPort: 443, hostIP: '2001:db8::1' })).toBe('tcp/[2001:db8::1]:443');
  });
});
