import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { run } from '../../../../cli/zonectl/cli.js';
import { hookLines } from '../../../../cli/zonectl/commands/nspawn.js';
import { parseExecLine, renderExecLine } from '../../../../lib/nspawn/exec-line.js';
import { makeTestTempDir } from '../../../support/paths.js';
import { captureIo } from '../helpers.js';

let dir: string;
let confDir: string;
beforeEach(() => {
  dir = makeTestTempDir('nspawn-command');
  confDir = join(dir, 'net.d');
  mkdirSync(confDir);
  writeFileSync(join(confDir, 'web.conflist'), JSON.stringify({ cniVersion: '1.0.0', name: 'web', plugins: [{ type: 'zone' }] }));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('hookLines', () => {
  it('passes the network, ports, interface and runtime paths to up, and the paths to down', () => {
    const hooks = hookLines({
      network: 'web',
      ports: ['tcp:8080:80'],
      ifname: 'eth1',
      paths: { confDir: '/c', cacheDir: '/var/lib/cni', pluginDirs: ['/opt/cni/bin', '/usr/lib/cni'] },
      zonectl: ['/usr/bin/node', '/opt/z/zonectl'],
    });
    expect(renderExecLine(hooks.up)).toBe(
      '/usr/bin/node /opt/z/zonectl up %i --network web --port tcp:8080:80 --ifname eth1 --conf-dir /c',
    );
    expect(renderExecLine(hooks.down)).toBe('/usr/bin/node /opt/z/zonectl down %i --conf-dir /c');
  });
});

describe('zonectl nspawn enable|disable', () => {
  const enable = (...extra: string[]) => [
    'nspawn',
    'enable',
    'web',
    '--network',
    'web',
    '--conf-dir',
    confDir,
    '--unit-dir',
    join(dir, 'units'),
    ...extra,
  ];

  it('prints the drop-in with --print and writes nothing', async () => {
    const io = captureIo();
    expect(await run([...enable('--print', '--port', '8080:80', '--zonectl', '/usr/local/sbin/zonectl')], io)).toBe(0);
    expect(io.stdout).toContain('[Service]\n');
    const pre = /^ExecStartPre=(.*)$/m.exec(io.stdout)?.[1] ?? '';
    expect(parseExecLine(pre, { i: 'web' }).argv).toEqual([
      '/usr/local/sbin/zonectl',
      'up',
      'web',
      '--network',
      'web',
      '--port',
      'tcp:8080:80',
      '--conf-dir',
      confDir,
    ]);
    expect(io.stdout).toMatch(/^ExecStart=$/m);
    expect(io.stdout).toMatch(/^ExecStart=.*--network-namespace-path=\/run\/netns\/%i/m);
    expect(existsSync(join(dir, 'units'))).toBe(false);
  });

  it('writes, rewrites unchanged, and removes the drop-in', async () => {
    const path = join(dir, 'units', 'systemd-nspawn@web.service.d', '50-cni-zones.conf');
    const first = captureIo();
    expect(await run(enable(), first)).toBe(0);
    expect(first.stdout).toContain(`wrote ${path}`);
    expect(first.stdout).toContain('next: systemctl daemon-reload && machinectl start web');
    expect(readFileSync(path, 'utf8')).toContain('ExecStopPost=');
    const second = captureIo();
    await run(enable(), second);
    expect(second.stdout).toContain(`${path} is up to date`);

    const disable = captureIo();
    expect(await run(['nspawn', 'disable', 'web', '--unit-dir', join(dir, 'units')], disable)).toBe(0);
    expect(disable.stdout).toContain(`removed ${path}`);
    expect(existsSync(path)).toBe(false);
    const again = captureIo();
    expect(await run(['nspawn', 'disable', 'web', '--unit-dir', join(dir, 'units')], again)).toBe(0);
    expect(again.stdout).toContain('nothing to do');
  });

  it('refuses an unknown network, a bad port and a bad machine name, naming the fix', async () => {
    const network = captureIo();
    expect(
      await run(['nspawn', 'enable', 'web', '--network', 'nope', '--conf-dir', confDir, '--unit-dir', join(dir, 'units')], network),
    ).toBe(1);
    expect(network.stderr).toContain('fix: put a conflist named "nope"');
    const port = captureIo();
    expect(await run(enable('--port', 'http'), port)).toBe(1);
    expect(port.stderr).toContain('HOSTPORT');
    const name = captureIo();
    expect(await run(['nspawn', 'enable', 'a/b', '--conf-dir', confDir], name)).toBe(1);
    expect(name.stderr).toContain('invalid machine name');
    expect(existsSync(join(dir, 'units'))).toBe(false);
  });
});
