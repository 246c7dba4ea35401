import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleDir, selfForm, selfInvocation } from '../../../cli/zonectl/self.js';

const dir = mkdtempSync(join(tmpdir(), 'self-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('self', () => {
  it('is a Node bundle when run from the sources (no build-time form)', () => {
    expect(selfForm().kind).toBe('node');
  });

  it('is a Node bundle, node running the script argv[1]', () => {
    const script = join(dir, 'zonectl.cjs');
    const form = selfForm('node', ['/usr/bin/node', script], '/usr/bin/node');
    expect(form).toEqual({ kind: 'node', script });
    expect(selfInvocation(undefined, form)).toEqual([process.execPath, script]);
  });

  it('is the compiled executable, the code inside it', () => {
    const form = selfForm('compiled', ['bun', '/$bunfs/root/cni-zones', 'status'], '/opt/cni-zones/bin/cni-zones');
    expect(form).toEqual({ kind: 'compiled', executable: '/opt/cni-zones/bin/cni-zones' });
    // The role goes on the command line: a unit needs no zonectl link to find it.
    expect(selfInvocation(undefined, form)).toEqual(['/opt/cni-zones/bin/cni-zones', 'zonectl']);
  });

  it('runs the given executable instead when told to', () => {
    expect(selfInvocation('/usr/local/sbin/zonectl')).toEqual(['/usr/local/sbin/zonectl']);
    expect(selfInvocation('bin/zonectl')).toEqual([resolve('bin/zonectl')]);
  });

  it('finds the directory of the plugins through symlinks', () => {
    const executable = join(dir, 'cni-zones');
    writeFileSync(executable, '');
    symlinkSync(executable, join(dir, 'zonectl'));
    expect(bundleDir({ kind: 'compiled', executable: join(dir, 'zonectl') })).toBe(dir);
    expect(bundleDir({ kind: 'node', script: join(dir, 'zonectl') })).toBe(dir);
  });
});
