// What the zone plugin sends systemd-resolved and how it reads the answers: the calls exactly, and
// each outcome or typed error from the error names resolved and the bus reply with (a fake client);
// a real dbus-daemon without resolved on it is "no resolved". The real resolved is in
// test/e2e/zone-dns-resolved.test.ts.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type callMethods, DbusError, type DbusMethodCall } from '../../../lib/dbus/call.js';
import { announceLinkDns, linkDnsCalls, ResolvedError } from '../../../lib/resolved/link-dns.js';
import { hasDbusDaemon, startTestBus, type TestBus } from '../dbus/dbus-daemon.js';

const link = { ifindex: 7, servers: ['10.89.0.1', 'fd89::1'], domain: 'web.internal' };
const here = () => true;

/** A D-Bus client that records the calls and then fails with `errorName`, or succeeds. */
function fakeClient(errorName?: string, message = 'refused') {
  const sent: DbusMethodCall[][] = [];
  const call: typeof callMethods = async (calls) => {
    sent.push([...calls]);
    if (errorName) throw new DbusError(errorName, message);
    return calls.map(() => []);
  };
  return { sent, call };
}

describe('linkDnsCalls', () => {
  it('sets the servers, the domain as routing-only, and no default route, on resolved without starting it', () => {
    const manager = {
      destination: 'org.freedesktop.resolve1',
      path: '/org/freedesktop/resolve1',
      interface: 'org.freedesktop.resolve1.Manager',
      noAutoStart: true,
    };
    expect(linkDnsCalls(link)).toEqual([
      {
        ...manager,
        member: 'SetLinkDNS',
        signature: 'ia(iay)',
        args: [
          7,
          [
            [2, Buffer.from([10, 89, 0, 1])],
            [10, Buffer.from('fd890000000000000000000000000001', 'hex')],
          ],
        ],
      },
      { ...manager, member: 'SetLinkDomains', signature: 'ia(sb)', args: [7, [['web.internal', true]]] },
      { ...manager, member: 'SetLinkDefaultRoute', signature: 'ib', args: [7, false] },
    ]);
  });

  it('refuses what is no interface index or no address', () => {
    expect(() => linkDnsCalls({ ...link, ifindex: 0 })).toThrow(TypeError);
    expect(() => linkDnsCalls({ ...link, ifindex: 1.5 })).toThrow(TypeError);
    expect(() => linkDnsCalls({ ...link, servers: ['10.89.0.1/24'] })).toThrow(/not an IP address/);
  });
});

describe('announceLinkDns', () => {
  it('sends the three calls as one batch', async () => {
    const client = fakeClient();
    expect(await announceLinkDns(link, { call: client.call, servesOurNamespace: here })).toBe('announced');
    expect(client.sent).toEqual([linkDnsCalls(link)]);
  });

  it('sends nothing when the resolved on the bus serves another network namespace', async () => {
    const client = fakeClient();
    expect(await announceLinkDns(link, { call: client.call, servesOurNamespace: () => false })).toBe('other-namespace');
    expect(client.sent).toEqual([]);
  });

  it.each([
    ['org.freedesktop.DBus.Error.NoServer', 'no-resolved'],
    ['org.freedesktop.DBus.Error.ServiceUnknown', 'no-resolved'],
    ['org.freedesktop.DBus.Error.NameHasNoOwner', 'no-resolved'],
    ['org.freedesktop.resolve1.LinkBusy', 'networkd-manages'],
  ])('takes %s as %s', async (errorName, outcome) => {
    expect(await announceLinkDns(link, { call: fakeClient(errorName).call, servesOurNamespace: here })).toBe(outcome);
  });

  it('takes a resolved without SetLinkDefaultRoute (before systemd 246) as told', async () => {
    const old = fakeClient('org.freedesktop.DBus.Error.UnknownMethod', 'Unknown method SetLinkDefaultRoute or interface x.');
    expect(await announceLinkDns(link, { call: old.call, servesOurNamespace: here })).toBe('announced');
    const other = fakeClient('org.freedesktop.DBus.Error.UnknownMethod', 'Unknown method SetLinkDNS or interface x.');
    await expect(announceLinkDns(link, { call: other.call, servesOurNamespace: here })).rejects.toMatchObject({ reason: 'failed' });
  });

  it.each([
    ['org.freedesktop.resolve1.NoSuchLink', 'no-such-link'],
    ['org.freedesktop.DBus.Error.AccessDenied', 'denied'],
    ['org.freedesktop.DBus.Error.InteractiveAuthorizationRequired', 'denied'],
    ['org.freedesktop.DBus.Error.Timeout', 'timeout'],
    ['org.freedesktop.DBus.Error.Disconnected', 'failed'],
    ['org.freedesktop.DBus.Error.InvalidArgs', 'failed'],
  ])('raises %s as a ResolvedError (%s) naming what was not taken', async (errorName, reason) => {
    const error = await announceLinkDns(link, { call: fakeClient(errorName, 'the reason').call, servesOurNamespace: here }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ResolvedError);
    expect(error).toMatchObject({
      reason,
      message: 'systemd-resolved did not take 10.89.0.1, fd89::1 for ~web.internal on link 7: the reason',
    });
    expect((error as ResolvedError).cause).toBeInstanceOf(DbusError);
  });

  it('is "no resolved" without a bus socket', async () => {
    expect(await announceLinkDns(link, { busSocket: join('/nonexistent', 'bus'), servesOurNamespace: here })).toBe('no-resolved');
  });
});

// In CI dbus-daemon is installed by scripts/install-system-deps.sh: missing there is a failure.
describe.skipIf(!hasDbusDaemon && process.env.CI !== 'true')('announceLinkDns on a real bus without resolved', () => {
  let bus: TestBus;

  beforeAll(async () => {
    bus = await startTestBus();
  });

  afterAll(async () => {
    await bus?.stop();
  });

  it('is "no resolved", and does not have the bus start one', async () => {
    expect(await announceLinkDns(link, { busSocket: bus.socketPath, servesOurNamespace: here })).toBe('no-resolved');
  });
});
