// The name rules themselves; the messages built from them are tested where they are raised
// (lib/cni/env, lib/zone/plan, lib/networkd/zone-files, lib/netns/named, lib/nspawn/machine).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  dnsLabelProblem,
  linkNameProblem,
  MAX_ZONE_NETWORK_NAME_LENGTH,
  networkNameProblem,
  pluginTypeProblem,
  zoneNameProblem,
  zoneNetworkNameProblem,
} from '../../../lib/names/index.js';

describe('zone names', () => {
  it.each(['web', 'a', '0', 'abcdefghijkl', 'w.e_b-1'])('accepts %j', (zone) => expect(zoneNameProblem(zone)).toBeUndefined());

  it.each([
    ['', /empty/],
    ['abcdefghijklm', /longer than 12/],
    ['-web', /letter or digit/],
    ['_web', /letter or digit/],
    ['.hidden', /letter or digit/],
    ['we b', /letter or digit/],
    ['wéb', /letter or digit/],
  ])('refuses %j', (zone, why) => expect(zoneNameProblem(zone)).toMatch(why));

  it('keeps vz-<zone> within IFNAMSIZ', () => {
    expect(`vz-${'a'.repeat(12)}`).toHaveLength(15);
  });
});

describe('network names', () => {
  it.each(['web', 'cni-zones', 'a.b_c-1'])('accepts %j', (name) => expect(networkNameProblem(name)).toBeUndefined());
  it.each(['', '-web', 'a/b', 'a b', '../x'])('refuses %j', (name) => expect(networkNameProblem(name)).toMatch(/letter or digit/));

  it('bounds the zone plugin network name by the alias', () => {
    expect(zoneNetworkNameProblem('n'.repeat(MAX_ZONE_NETWORK_NAME_LENGTH))).toBeUndefined();
    expect(zoneNetworkNameProblem('n'.repeat(MAX_ZONE_NETWORK_NAME_LENGTH + 1))).toMatch(/at most 100/);
    expect(zoneNetworkNameProblem('-x')).toBeDefined();
  });
});

describe('plugin types', () => {
  it.each(['zone', 'host-local', 'zone-ipam'])('accepts %j', (type) => expect(pluginTypeProblem(type)).toBeUndefined());
  it.each(['', '../bin/sh', '/bin/sh', '.hidden', 'a b'])('refuses %j', (type) => expect(pluginTypeProblem(type)).toMatch(/file name/));
});

describe('existing link names', () => {
  it.each(['veth@1', 'eth0+', 'vz-web'])('reads %j', (name) => expect(linkNameProblem(name)).toBeUndefined());
  it.each(['', '.', '..', 'a/b', 'a b', 'x'.repeat(16)])('refuses %j', (name) => expect(linkNameProblem(name)).toBeDefined());
});

describe('DNS labels', () => {
  it.each(['web', 'a', '0', 'web-1', '1-web', 'x'.repeat(63), 'a--b'])('accepts %j', (label) =>
    expect(dnsLabelProblem(label)).toBeUndefined(),
  );

  it.each([
    ['', /empty/],
    ['x'.repeat(64), /longer than 63/],
    ['-web', /not start or end/],
    ['web-', /not start or end/],
    ['Web', /lowercase/],
    ['we_b', /lowercase/],
    ['we.b', /lowercase/],
    ['wéb', /lowercase/],
    ['web\n', /lowercase/],
  ])('refuses %j', (label, why) => expect(dnsLabelProblem(label)).toMatch(why));

  it('accepts exactly the lowercase LDH labels of 1-63 characters with a letter or digit at each end', () => {
    const ldh = 'abcdefghijklmnopqrstuvwxyz0123456789-';
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...ldh, 'A', '_', '.', ' '), maxLength: 70 }), (label) => {
        const valid =
          label.length >= 1 &&
          label.length <= 63 &&
          [...label].every((c) => ldh.includes(c)) &&
          !label.startsWith('-') &&
          !label.endsWith('-');
        expect(dnsLabelProblem(label) === undefined).toBe(valid);
      }),
    );
  });
});
