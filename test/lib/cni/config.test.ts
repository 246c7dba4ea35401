import { describe, expect, it } from 'vitest';
import { parseNetConf, validAttachments } from '../../../lib/cni/config.js';
import { CniError } from '../../../lib/cni/errors.js';

function codeOf(text: string): number {
  try {
    parseNetConf(text);
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
  it('a missing version is code 7', () => expect(codeOf(JSON.stringify({ name: 'x', type: 'zone' }))).toBe(7));
  it('a missing name is code 7', () => expect(codeOf(JSON.stringify({ cniVersion: '1.0.0', type: 'zone' }))).toBe(7));
  it('ipam without a type is code 7', () => expect(codeOf(JSON.stringify({ ...base, ipam: {} }))).toBe(7));
  it('a malformed prevResult is code 6', () =>
    expect(codeOf(JSON.stringify({ ...base, prevResult: { ips: [{ address: 'nope' }] } }))).toBe(6));

  it('names the bad field in details', () => {
    try {
      parseNetConf(JSON.stringify({ ...base, capabilities: { portMappings: 'yes' } }));
      expect.unreachable();
    } catch (e) {
      expect((e as CniError).details).toContain('capabilities.portMappings');
    }
  });
});

describe('validAttachments', () => {
  const keep = [{ containerID: 'a', ifname: 'eth0' }];
  it('reads cni.dev/valid-attachments', () => {
    expect(validAttachments(parseNetConf(JSON.stringify({ ...base, 'cni.dev/valid-attachments': keep })).conf)).toEqual(keep);
  });
  it('falls back to the older cni.dev/attachments', () => {
    expect(validAttachments(parseNetConf(JSON.stringify({ ...base, 'cni.dev/attachments': keep })).conf)).toEqual(keep);
  });
  it('is undefined when the runtime sent neither', () => {
    expect(validAttachments(parseNetConf(JSON.stringify(base)).conf)).toBeUndefined();
  });
});
