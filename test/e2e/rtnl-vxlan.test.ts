// lib/rtnl's VXLAN device and flood entries against the kernel, from the test process: a client
// in a "host" test namespace makes `vx-t` (VNI, local address, port), reads its identity back,
// appends two all-zeros flood entries, adds one again, deletes one twice. `ip -d` and `bridge
// fdb` in the namespace are the independent witnesses.
import { expect, onTestFinished } from 'vitest';
import { Rtnl } from '../../lib/rtnl/client.js';
import { createSandbox, ipIn, nsExec } from '../support/netns.js';
import { privileged } from '../support/privileges.js';

const priv = privileged(['ip', 'bridge', 'nsenter']);

priv.describe('lib/rtnl: VXLAN devices and their flood entries', () => {
  priv.it('makes vx-t as asked, reads it back, and keeps one flood entry per peer', async () => {
    const sandbox = await createSandbox();
    onTestFinished(() => sandbox.cleanup());
    await ipIn(sandbox.host, 'link', 'set', 'lo', 'up');
    await ipIn(sandbox.host, 'address', 'add', '192.0.2.1/32', 'dev', 'lo');
    const rt = await Rtnl.open(sandbox.host.path);
    onTestFinished(() => rt.close());

    await rt.createVxlan({ name: 'vx-t', vni: 4242, local: '192.0.2.1', port: 4789, mtu: 1450 });
    const [shown] = JSON.parse((await ipIn(sandbox.host, '-d', '-j', 'link', 'show', 'vx-t')).stdout) as {
      mtu: number;
      linkinfo: { info_kind: string; info_data: { id: number; local: string; port: number; learning: boolean } };
    }[];
    expect(shown?.mtu).toBe(1450);
    expect(shown?.linkinfo.info_kind).toBe('vxlan');
    expect(shown?.linkinfo.info_data).toMatchObject({ id: 4242, local: '192.0.2.1', port: 4789, learning: true });
    expect(await rt.vxlanIdentity('vx-t')).toEqual({ vni: 4242, local: '192.0.2.1', port: 4789 });
    expect(await rt.vxlanIdentity('lo')).toBeUndefined();
    expect(await rt.vxlanIdentity('vx-none')).toBeUndefined();

    await rt.addFloodEntry('vx-t', '192.0.2.2');
    await rt.addFloodEntry('vx-t', '192.0.2.3');
    await rt.addFloodEntry('vx-t', '192.0.2.2');
    const fdb = async () =>
      (await nsExec(sandbox.host, 'bridge', ['fdb', 'show', 'dev', 'vx-t'])).stdout
        .split('\n')
        .filter((line) => line.startsWith('00:00:00:00:00:00'))
        .map((line) => line.split(' ')[2]);
    expect((await fdb()).sort()).toEqual(['192.0.2.2', '192.0.2.3']);
    expect((await rt.floodEntries('vx-t')).sort()).toEqual(['192.0.2.2', '192.0.2.3']);

    await rt.deleteFloodEntry('vx-t', '192.0.2.2');
    await rt.deleteFloodEntry('vx-t', '192.0.2.2');
    expect(await fdb()).toEqual(['192.0.2.3']);
    expect(await rt.floodEntries('vx-t')).toEqual(['192.0.2.3']);
  });
});
