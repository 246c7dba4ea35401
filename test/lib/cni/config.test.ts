import { describe, expect, it } from 'vitest';
import { parseNetConf, requestedVersion, validAttachments } from '../../../lib/cni/config.js';
import type { Command } from '../../../lib/cni/env.js';
import type { CniError } from '../../../lib/cni/errors.js';

function codeOf(text: string, command?: Command): number {
  try {
    parseNetConf(text, command);
  } catch (e) {
    return (e as CniError).code;
  }
  return 0;
}

const base = { cniVersion: '1.0.0', name: 'web', type: 'zone' };

describe('parseNetConf', () => {
  it('keeps unknown fields, typed known ones', () => {
    const { conf } = parseNetConf(JSON.stringify({ ...base, zone: 'web', ipam: { type: 'zone-ipam', ranges: [] } }));
    expect(conf.name).toBe('web');
    expect(conf.zone).toBe('web');
    expect(conf.ipam?.ranges).toEqual([]);
  });

  it('keeps the exact text for delegation', () => {
    const text = ` ${JSON.stringify(base)} `;
    expect(parseNetConf(text).text).toBe(text);
  });

  it('reads args.cni.ips / mac and runtimeConfig', () => {
    const { conf } = parseNetConf(
      JSON.stringify({ ...base, args: { cni: { ips: ['10.0.0.9'], mac: '0a:00:00:00:00:09' } }, runtimeConfig: { portMappings: [] } }),
    );
    expect(conf.args?.cni?.ips).toEqual(['10.0.0.9']);
    expect(conf.args?.cni?.mac).toBe('0a:00:00:00:00:09');
    expect(conf.runtimeConfig?.portMappings).toEqual([]);
  });

  it('parses prevResult in the config version', () => {
    const prev = { cniVersion: '0.4.0', ips: [{ version: '4', address: '10.0.0.2/24' }] };
    const parsed = parseNetConf(JSON.stringify({ ...base, cniVersion: '0.4.0', prevResult: prev }));
    expect(parsed.prevResult?.ips).toEqual([{ address: '10.0.0.2/24' }]);
  });

  it('takes the config version for a prevResult without one', () => {
    const parsed = parseNetConf(JSON.stringify({ ...base, prevResult: { ips: [{ address: '10.0.0.2/24' }] } }));
    expect(parsed.prevResult?.cniVersion).toBe('1.0.0');
  });

  it('bad JSON is code 6', () => expect(codeOf('{nope')).toBe(6));
  it('a non-object is code 6', () => expect(codeOf('[1]')).toBe(6));
  it('an unsupported version is code 1', () => expect(codeOf(JSON.stringify({ ...base, cniVersion: '0.2.0' }))).toBe(1));
  // libcni reads a missing version as 0.1.0, which nobody supports any more: code 1, not 7
  it('a missing or empty version is code 1', () => {
    expect(codeOf(JSON.stringify({ name: 'x', type: 'zone' }))).toBe(1);
    expect(codeOf(JSON.stringify({ cniVersion: '', name: 'x', type: 'zone' }))).toBe(1);
  });
  it.each(['junk', '1.0', '1.0.0.0', ' 1.0.0', '9.9.9'])('a version %j is code 1', (v) =>
    expect(codeOf(JSON.stringify({ ...base, cniVersion: v }))).toBe(1),
  );
  it.each([1, null, {}, ['1.0.0']])('a version that is not a string (%j) cannot be decoded: code 6', (v) =>
    expect(codeOf(JSON.stringify({ ...base, cniVersion: v }))).toBe(v === null ? 1 : 6),
  );
  it.each(['', 'we b', 'web/1', '-web', '.web', 'wéb', 'a\u0000b'])('a network name %j is code 7', (name) =>
    expect(codeOf(JSON.stringify({ ...base, name }))).toBe(7),
  );
  it.each(['web', 'a', 'Web_1.2-x', '9'])('takes the network name %j', (name) => expect(codeOf(JSON.stringify({ ...base, name }))).toBe(0));
  it('a missing name is code 7', () => expect(codeOf(JSON.stringify({ cniVersion: '1.0.0', type: 'zone' }))).toBe(7));
  it('ipam without a type is code 7', () => expect(codeOf(JSON.stringify({ ...base, ipam: {} }))).toBe(7));
  it('a malformed prevResult is code 6', () =>
    expect(codeOf(JSON.stringify({ ...base, prevResult: { ips: [{ address: 'nope' }] } }))).toBe(6));

  describe('for DEL, which needs only cniVersion, name, type and ipam.type', () => {
    const broken = {
      prevResult: 'x',
      runtimeConfig: 'x',
      capabilities: { portMappings: 'yes' },
      args: [1],
      dns: 5,
      'cni.dev/valid-attachments': 'x',
    };
    it.each(Object.entries(broken))('drops a broken %s instead of failing', (key, value) => {
      const text = JSON.stringify({ ...base, [key]: value, ipam: { type: 'zone-ipam' } });
      expect(codeOf(text, 'ADD')).not.toBe(0);
      const parsed = parseNetConf(text, 'DEL');
      expect(parsed.conf).not.toHaveProperty(key);
      // a delegated IPAM gets the config without it too
      expect(JSON.parse(parsed.text)).toEqual({ ...base, ipam: { type: 'zone-ipam' } });
    });
    it('keeps the exact text when nothing was dropped', () => {
      const text = ` ${JSON.stringify(base)} `;
      expect(parseNetConf(text, 'DEL').text).toBe(text);
    });
    it('keeps a good prevResult', () => {
      const parsed = parseNetConf(JSON.stringify({ ...base, prevResult: { ips: [{ address: '10.0.0.2/24' }] } }), 'DEL');
      expect(parsed.prevResult?.ips).toEqual([{ address: '10.0.0.2/24' }]);
    });
    it('still fails without what it needs', () => {
      expect(codeOf(JSON.stringify({ ...base, name: 'we b', prevResult: 'x' }), 'DEL')).toBe(7);
      expect(codeOf(JSON.stringify({ ...base, ipam: {} }), 'DEL')).toBe(7);
      expect(codeOf(JSON.stringify({ ...base, cniVersion: 'x' }), 'DEL')).toBe(1);
    });
  });

  it('GC and STATUS ignore a broken prevResult; CHECK does not', () => {
    const text = JSON.stringify({ ...base, prevResult: { ips: [{ address: 'nope' }] } });
    expect(parseNetConf(text, 'GC').prevResult).toBeUndefined();
    expect(parseNetConf(text, 'STATUS').prevResult).toBeUndefined();
    expect(codeOf(text, 'CHECK')).toBe(6);
  });

  it('names the bad field in details', () => {
    try {
      parseNetConf(JSON.stringify({ ...base, capabilities: { portMappings: 'yes' } }));
      expect.unreachable();
    } catch (e) {
      expect((e as CniError).details).toContain('capabilities.portMappings');
    }
  });
});

describe('requestedVersion', () => {
  it('is the config version when it is one we speak', () => {
    expect(requestedVersion(JSON.stringify({ cniVersion: '1.0.0' }))).toBe('1.0.0');
    expect(requestedVersion(JSON.stringify({ cniVersion: '0.3.1', name: 5 }))).toBe('0.3.1');
  });
  it.each(['', '{', 'null', '[]', '{"cniVersion": "9.9.9"}', '{"cniVersion": 1}'])('is undefined for %j', (text) => {
    expect(requestedVersion(text)).toBeUndefined();
  });
});

describe('validAttachments', () => {
  const keep = [{ containerID: 'a', ifname: 'eth0' }];
  const kept = [{ network: 'web', containerId: 'a', ifname: 'eth0' }];
  it('reads cni.dev/valid-attachments into our spelling, with the network', () => {
    expect(validAttachments(parseNetConf(JSON.stringify({ ...base, 'cni.dev/valid-attachments': keep })).conf)).toEqual(kept);
  });
  it('falls back to the older cni.dev/attachments', () => {
    expect(validAttachments(parseNetConf(JSON.stringify({ ...base, 'cni.dev/attachments': keep })).conf)).toEqual(kept);
  });
  it('is undefined when the runtime sent neither', () => {
    expect(validAttachments(parseNetConf(JSON.stringify(base)).conf)).toBeUndefined();
  });
});
