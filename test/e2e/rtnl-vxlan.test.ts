// lib/rtnl's VXLAN device and flood entries against the kernel, from the test process: a client
// in a "host" test namespace makes `vx-t` (VNI, local address, port), reads its identity back,
// appends two all-zeros flood entries, adds one again, deletes one twice. `ip -d` and `bridge
// fdb` in the namespace are the independent witnesses.
import { expect, onTestFinished } from 'vitest';
import { parseAddress } from '../../lib/ip/index.js';
import { Rtnl } from '../../lib/rtnl/client.js';
import { addFloodEntry, deleteFloodEntry, readFloodEntries } from '../../lib/rtnl/fdb.js';
import { readVxlanIdentity, vxlanRequest } from '../../lib/rtnl/vxlan.js';
import { createSandbox, ipIn, nsExec } from '../support/netns.js';
import { privileged } from '../support/privileges.js';

const priv = privileged(['ip', 'bridge', 'nsenter']);

const address = (text: string) => parseAddress(text) ?? expect.fail(`not an address: ${text}`);

priv.describe('lib/rtnl: VXLAN devices and their flood entries', () => {
  priv.it('makes vx-t as asked, reads it back, and keeps one flood entry per peer', async () => {
    const sandbox = await createSandbox();
    onTestFinished(() => sandbox.cleanup());
    await ipIn(sandbox.host, 'link', 'set', 'lo', 'up');
    await ipIn(sandbox.host, 'address', 'add', '192.0.2.1/32', 'dev', 'lo');
    const rt = await Rtnl.open(sandbox.host.path);
    onTestFinished(() => rt.close());

    rt.socket.exchange('create vxlan', vxlanRequest({ name: 'vx-t', vni: 4242, local: address('192.0.2.1'), port: 4789, mtu: 1450 }));
    const [shown] = JSON.parse((await ipIn(sandbox.host, '-d', '-j', 'link', 'show', 'vx-t')).stdout) as {
      mtu: number;
      linkinfo: { info_kind: string; info_data: { id: number; local: string; port: number; learning: boolean } };
    }[];
    expect(shown?.mtu).toBe(1450);
    expect(shown?.linkinfo.info_kind).toBe('vxlan');
    expect(shown?.linkinfo.info_data).toMatchObject({ id: 4242, local: '192.0.2.1', port: 4789, learning: true });
    expect(readVxlanIdentity(rt.socket, 'vx-t')).toEqual({ vni: 4242, local: '192.0.2.1', port: 4789 });
    expect(readVxlanIdentity(rt.socket, 'lo')).toBeUndefined();
    expect(readVxlanIdentity(rt.socket, 'vx-none')).toBeUndefined();

    const index = (await rt.getLink('vx-t'))?.index ?? expect.fail('vx-t is missing');
    addFloodEntry(rt.socket, index, address('192.0.2.2'));
    addFloodEntry(rt.socket, index, address('192.0.2.3'));
    addFloodEntry(rt.socket, index, address('192.0.2.2'));
    const fdb = async () =>
      (await nsExec(sandbox.host, 'bridge', ['fdb', 'show', 'dev', 'vx-t'])).stdout
        .split('\n')
        .filter((line) => line.startsWith('00:00:00:00:00:00'))
        .map((line) => line.split(' ')[2]);
    expect((await fdb()).sort()).toEqual(['192.0.2.2', '192.0.2.3']);
    expect(readFloodEntries(rt.socket, index).sort()).toEqual(['192.0.2.2', '192.0.2.3']);

    deleteFloodEntry(rt.socket, index, address('192.0.2.2'));
    deleteFloodEntry(rt.socket, index, address('192.0.2.2'));
    expect(await fdb()).toEqual(['192.0.2.3']);
    expect(readFloodEntries(rt.socket, index)).toEqual(['192.0.2.3']);
  });
});
