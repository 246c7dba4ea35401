import { dirname, resolve } from 'node:path';
import { realpathSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bundleDir, selfInvocation, selfScript } from '../../../cli/zonectl/self.js';

describe('self', () => {
  it('runs itself again with this node and this script, or the given executable', () => {
    expect(selfInvocation()).toEqual([process.execPath, selfScript()]);
    expect(selfInvocation('/usr/local/sbin/zonectl')).toEqual(['/usr/local/sbin/zonectl']);
    expect(selfInvocation('bin/zonectl')).toEqual([resolve('bin/zonectl')]);
  });

  it('finds its bundle directory through symlinks', () => {
    expect(bundleDir()).toBe(dirname(realpathSync(selfScript())));
  });
});
