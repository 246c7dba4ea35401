import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { listPlugins, shellQuote, shimScript, writeShims } from '../../conformance/shim.js';

const root = mkdtempSync(join(tmpdir(), 'shim-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function executable(dir: string, name: string, mode = 0o755): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, name), '#!/bin/sh\n');
  chmodSync(join(dir, name), mode);
}

describe('shellQuote and shimScript', () => {
  it('quotes anything for sh', () => {
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
  });

  it('execs the plugin through nsenter into the host namespace', () => {
    expect(shimScript('/usr/bin/nsenter', '/run/netns/czt-1-1-host', '/usr/lib/cni/bridge')).toBe(
      "#!/bin/sh\nexec '/usr/bin/nsenter' '--net=/run/netns/czt-1-1-host' '--' '/usr/lib/cni/bridge' \"$@\"\n",
    );
  });

  it("refuses the harness's own namespace", () => {
    expect(() => shimScript('/usr/bin/nsenter', '/proc/self/ns/net', '/bin/x')).toThrow(/own network namespace/);
  });
});

describe('listPlugins', () => {
  it('finds executables, the first directory winning, skipping other files', async () => {
    const a = join(root, 'a');
    const b = join(root, 'b');
    executable(a, 'bridge');
    executable(a, 'README', 0o644);
    executable(b, 'bridge');
    executable(b, 'portmap');
    mkdirSync(join(b, 'subdir'));
    const plugins = await listPlugins([a, b]);
    expect([...plugins.entries()]).toEqual([
      ['bridge', join(a, 'bridge')],
      ['portmap', join(b, 'portmap')],
    ]);
    await expect(listPlugins([join(root, 'missing')])).rejects.toThrow(/cannot read plugin directory/);
  });

  it('writes one executable shim per plugin', async () => {
    const bin = join(root, 'bin');
    mkdirSync(bin);
    const names = await writeShims(bin, new Map([['bridge', '/usr/lib/cni/bridge']]), '/run/netns/czt-1-2-host');
    expect(names).toEqual(['bridge']);
    expect(statSync(join(bin, 'bridge')).mode & 0o777).toBe(0o755);
    expect(readFileSync(join(bin, 'bridge'), 'utf8')).toContain("'--net=/run/netns/czt-1-2-host' '--' '/usr/lib/cni/bridge'");
  });
});
