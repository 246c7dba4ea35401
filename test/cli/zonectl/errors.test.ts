import { describe, expect, it } from 'vitest';
import { CommandError, describeFailure, EXIT_FAILURE, EXIT_USAGE, UsageError } from '../../../cli/zonectl/errors.js';
import { CniError } from '../../../lib/cni/errors.js';
import { NetnsError } from '../../../lib/netns/errors.js';
import { NetworkNotFoundError } from '../../../lib/runtime/conf-dir.js';

describe('describeFailure', () => {
  it('a usage error: exit 2 and the help to read', () => {
    expect(describeFailure(new UsageError('missing MACHINE', 'see "zonectl up --help"'))).toEqual({
      lines: ['zonectl: missing MACHINE', '  see "zonectl up --help"'],
      exitCode: EXIT_USAGE,
    });
  });

  it('a command error: details and the fix', () => {
    expect(describeFailure(new CommandError('it broke', 'do this', 'line 1\nline 2'))).toEqual({
      lines: ['zonectl: it broke', '  line 1', '  line 2', '  fix: do this'],
      exitCode: EXIT_FAILURE,
    });
  });

  it('a CNI error: its code, and the fix for the usual causes', () => {
    const missing = describeFailure(new CniError(50, 'failed to find plugin "zone" in path [/x]', 'install it'));
    expect(missing.lines[0]).toBe('zonectl: failed to find plugin "zone" in path [/x] (CNI error 50)');
    expect(missing.lines.at(-1)).toContain('zonectl install');
    expect(describeFailure(new CniError(7, 'bad')).lines).toEqual(['zonectl: bad (CNI error 7)']);
  });

  it('a network that is not there: where to put it', () => {
    const { lines } = describeFailure(new NetworkNotFoundError('/etc/cni/net.d', 'web'));
    expect(lines.at(-1)).toContain('put a conflist named "web" into /etc/cni/net.d');
  });

  it('a permission problem or a failed ip netns: run as root', () => {
    expect(
      describeFailure(new CniError(5, 'cannot write /etc/systemd/system/x', "EACCES: permission denied, open 'x'")).lines.at(-1),
    ).toContain('needs root');
    expect(
      describeFailure(new NetnsError('command-failed', 'ip netns add web failed', 'mount --make-shared /run/netns failed')).lines.at(-1),
    ).toContain('need root');
  });

  it('anything else: its message', () => {
    expect(describeFailure(new Error('boom'))).toEqual({ lines: ['zonectl: boom'], exitCode: 1 });
    expect(describeFailure('text')).toEqual({ lines: ['zonectl: text'], exitCode: 1 });
  });
});
