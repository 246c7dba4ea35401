// Upstream resolvers: the command line's forms, resolv.conf's nameservers, and our own
// addresses kept out.
import { describe, expect, it } from 'vitest';
import { formatEndpoint, nameserversOf, parseEndpoint, withoutOwn } from '../../../lib/dns/upstreams.js';

describe('parseEndpoint', () => {
  it.each([
    ['10.0.0.1', { address: '10.0.0.1', port: 53, family: 4 }],
    ['10.0.0.1:5353', { address: '10.0.0.1', port: 5353, family: 4 }],
    ['fd00::1', { address: 'fd00::1', port: 53, family: 6 }],
    ['[FD00:0::1]:5353', { address: 'fd00::1', port: 5353, family: 6 }],
    ['[fd00::1]', { address: 'fd00::1', port: 53, family: 6 }],
  ])('reads %j', (text, endpoint) => expect(parseEndpoint(text)).toEqual(endpoint));

  it.each(['', 'example.com', '10.0.0.1:0', '10.0.0.1:65536', '[10.0.0.1]:53', 'fd00::1:53:x', '10.0.0.256', '[fd00::1]:'])(
    'refuses %j',
    (text) => expect(parseEndpoint(text)).toBeUndefined(),
  );

  it('formats both families', () => {
    expect(formatEndpoint({ address: '10.0.0.1', port: 53 })).toBe('10.0.0.1:53');
    expect(formatEndpoint({ address: 'fd00::1', port: 53 })).toBe('[fd00::1]:53');
  });
});

describe('nameserversOf', () => {
  it('takes the nameserver lines in order, and sets apart what is not a plain address', () => {
    const conf = [
      '# generated',
      'nameserver 127.0.0.53',
      'search example.com',
      '  nameserver   2001:db8::53  ',
      'nameserver fe80::1%eth0',
      'nameserver dns.example',
      'nameserver',
      '; nameserver 10.0.0.9',
      'options edns0 trust-ad',
    ].join('\n');
    expect(nameserversOf(conf)).toEqual({
      upstreams: [
        { address: '127.0.0.53', port: 53, family: 4 },
        { address: '2001:db8::53', port: 53, family: 6 },
      ],
      skipped: ['fe80::1%eth0', 'dns.example'],
    });
    expect(nameserversOf('')).toEqual({ upstreams: [], skipped: [] });
  });
});

describe('withoutOwn', () => {
  it('leaves out the upstreams that are the server itself, on the same port only', () => {
    const upstreams = [
      parseEndpoint('10.89.0.1')!,
      parseEndpoint('10.89.0.1:5353')!,
      parseEndpoint('127.0.0.53')!,
      parseEndpoint('fd89::1')!,
    ];
    const own = [
      { address: '10.89.0.1', port: 53 },
      { address: 'fd89::1', port: 53 },
    ];
    expect(withoutOwn(upstreams, own)).toEqual({
      kept: [upstreams[1], upstreams[2]],
      loops: [upstreams[0], upstreams[3]],
    });
  });
});
