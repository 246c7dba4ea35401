import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { renderExecLine } from '../../../lib/nspawn/exec-line.js';
import { DEFAULT_NSPAWN_EXEC_START, execStartOf, netnsExecStart, readTemplateExecStart } from '../../../lib/nspawn/exec-start.js';
import { makeTestTempDir } from '../../support/paths.js';

const rewrite = (line: string) => renderExecLine(netnsExecStart(line));

describe('netnsExecStart', () => {
  it("turns systemd 252's line into one that joins /run/netns/%i, without -U", () => {
    expect(rewrite(DEFAULT_NSPAWN_EXEC_START)).toBe(
      'systemd-nspawn --quiet --keep-unit --boot --link-journal=try-guest --network-namespace-path=/run/netns/%i --settings=override --machine=%i',
    );
  });

  it('drops every network option, in either value form, and user-namespace options', () => {
    const line =
      'systemd-nspawn --keep-unit --network-zone=web --port=80 -p 443 --network-bridge br0 --private-users=pick --private-users-ownership=auto -n --machine=%i';
    expect(rewrite(line)).toBe('systemd-nspawn --keep-unit --network-namespace-path=/run/netns/%i --machine=%i');
  });

  it('adds the namespace where there was no network option, before a command', () => {
    expect(rewrite('systemd-nspawn --quiet --machine=%i /bin/sh')).toBe(
      'systemd-nspawn --quiet --machine=%i --network-namespace-path=/run/netns/%i /bin/sh',
    );
    expect(rewrite('/usr/bin/systemd-nspawn --boot')).toBe('/usr/bin/systemd-nspawn --boot --network-namespace-path=/run/netns/%i');
  });

  it('replaces a namespace path that is already there', () => {
    expect(rewrite('systemd-nspawn --network-namespace-path=/run/netns/other --boot')).toBe(
      'systemd-nspawn --network-namespace-path=/run/netns/%i --boot',
    );
  });

  it('refuses quoting it would have to rewrite', () => {
    expect(() => netnsExecStart('systemd-nspawn --bind="/a b"')).toThrow(/quoting/);
  });
});

describe('execStartOf', () => {
  it('takes the last ExecStart= after a reset', () => {
    expect(execStartOf('[Service]\nExecStart=/bin/a\n')).toBe('/bin/a');
    expect(execStartOf('[Service]\nExecStart=/bin/a\nExecStart=\nExecStart=/bin/b\n')).toBe('/bin/b');
    expect(execStartOf('[Service]\nExecStart=/bin/a\nExecStart=\n')).toBeUndefined();
    expect(execStartOf('[Unit]\nDescription=x\n')).toBeUndefined();
  });
});

describe('readTemplateExecStart', () => {
  const dir = makeTestTempDir('exec-start');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the first template that exists', async () => {
    const custom = join(dir, 'custom.service');
    writeFileSync(custom, '[Service]\nExecStart=systemd-nspawn --boot --network-veth --machine=%i\n');
    expect(await readTemplateExecStart([join(dir, 'missing.service'), custom])).toEqual({
      line: 'systemd-nspawn --boot --network-veth --machine=%i',
      source: custom,
    });
  });

  it("falls back to systemd 252's line", async () => {
    expect(await readTemplateExecStart([join(dir, 'none.service')])).toEqual({ line: DEFAULT_NSPAWN_EXEC_START, source: 'built-in' });
  });
});
