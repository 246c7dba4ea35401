import { existsSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildMachineRoot, writeResolvConf } from '../../../../cli/zonectl/demo/machine-root.js';
import { makeTestTempDir } from '../../../support/paths.js';

let dir: string;
let busybox: string;
beforeEach(() => {
  dir = makeTestTempDir('demo-root');
  // Stands in for busybox: answers --list like the real one.
  busybox = join(dir, 'fake-busybox');
  writeFileSync(busybox, '#!/bin/sh\n[ "$1" = --list ] && printf "sh\\nhttpd\\nwget\\nbusybox\\n"\n', { mode: 0o755 });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('buildMachineRoot', () => {
  it('makes a tree systemd-nspawn accepts', async () => {
    const root = join(dir, 'root');
    await buildMachineRoot(root, busybox, { page: 'hello', hostname: 'web' });
    expect(statSync(join(root, 'bin/busybox')).mode & 0o777).toBe(0o755);
    expect(['sh', 'httpd', 'wget'].map((a) => readlinkSync(join(root, 'bin', a)))).toEqual(['busybox', 'busybox', 'busybox']);
    expect(existsSync(join(root, 'bin/busybox-applet'))).toBe(false);
    expect(readlinkSync(join(root, 'lib'))).toBe('usr/lib');
    expect(readlinkSync(join(root, 'sbin'))).toBe('bin');
    expect(readFileSync(join(root, 'usr/lib/os-release'), 'utf8')).toContain('ID=');
    expect(readlinkSync(join(root, 'etc/os-release'))).toBe('../usr/lib/os-release');
    expect(readFileSync(join(root, 'www/index.html'), 'utf8')).toBe('hello\n');
    expect(readFileSync(join(root, 'etc/hostname'), 'utf8')).toBe('web\n');
    expect(statSync(join(root, 'etc/udhcpc/default.script')).mode & 0o111).not.toBe(0);
    expect(readFileSync(join(root, 'etc/passwd'), 'utf8')).toMatch(/^root:x:0:0:/);
  });

  it("names the zone's name server in the machine's resolv.conf", async () => {
    const root = join(dir, 'root');
    await buildMachineRoot(root, busybox, { page: 'hello', hostname: 'web' });
    await writeResolvConf(root, '10.89.0.1', 'demo.internal');
    expect(readFileSync(join(root, 'etc/resolv.conf'), 'utf8')).toBe('nameserver 10.89.0.1\nsearch demo.internal\n');
  });
});
