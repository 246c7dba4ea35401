import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseResolvConf, readResolvConf } from '../../../lib/ipam/dns.js';
import { failure, tempDataDir } from './helpers.js';

describe('resolvConf', () => {
  it('reads nameserver, domain, search and options like host-local', () => {
    const text = [
      '# comment',
      '; other comment',
      'nameserver 10.89.0.1',
      '  nameserver   fd89::1  ',
      'domain example.com',
      'search a.example b.example',
      'search c.example',
      'options ndots:2 edns0',
      'sortlist 10.0.0.0',
      'nameserver',
      '',
    ].join('\n');
    expect(parseResolvConf(text)).toEqual({
      nameservers: ['10.89.0.1', 'fd89::1'],
      domain: 'example.com',
      search: ['a.example', 'b.example', 'c.example'],
      options: ['ndots:2', 'edns0'],
    });
  });

  it('gives an empty object for an empty file', () => {
    expect(parseResolvConf('')).toEqual({});
  });

  it('reads a file, and fails with code 7 when it does not exist', async () => {
    const dir = tempDataDir();
    writeFileSync(join(dir, 'resolv.conf'), 'nameserver 1.1.1.1\n');
    expect(readResolvConf(join(dir, 'resolv.conf'))).toEqual({ nameservers: ['1.1.1.1'] });
    expect(await failure(() => readResolvConf(join(dir, 'nope')))).toMatchObject({ code: 7 });
    expect(await failure(() => readResolvConf(dir))).toMatchObject({ code: 5 });
  });
});
