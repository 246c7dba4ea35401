import { describe, expect, it } from 'vitest';
import { parseEnv, validateContainerId, type Command } from '../../../lib/cni/env.js';
import { containerIdProblem, interfaceNameProblem } from '../../../lib/names/index.js';
import type { CniError } from '../../../lib/cni/errors.js';

const full = {
  CNI_CONTAINERID: 'abc123',
  CNI_NETNS: '/run/netns/c1',
  CNI_IFNAME: 'eth0',
  CNI_PATH: '/opt/cni/bin:/usr/lib/cni',
  CNI_ARGS: 'IgnoreUnknown=1;IP=10.0.0.2',
};

function errorOf(fn: () => unknown): CniError {
  try {
    fn();
  } catch (e) {
    return e as CniError;
  }
  throw new Error('expected an error');
}

describe('parseEnv', () => {
  it('reads every variable for ADD', () => {
    const env = parseEnv(full, 'ADD');
    expect(env).toMatchObject({ command: 'ADD', containerId: 'abc123', netns: '/run/netns/c1', ifname: 'eth0' });
    expect(env.path).toEqual(['/opt/cni/bin', '/usr/lib/cni']);
    expect(env.args.values.get('IP')).toBe('10.0.0.2');
  });

  it.each<[Command, string[]]>([
    ['ADD', ['CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME', 'CNI_PATH']],
    ['CHECK', ['CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME', 'CNI_PATH']],
    ['DEL', ['CNI_CONTAINERID', 'CNI_IFNAME', 'CNI_PATH']],
    ['GC', ['CNI_PATH']],
    ['STATUS', ['CNI_PATH']],
  ])('%s requires %j (code 4, all named)', (command, required) => {
    const e = errorOf(() => parseEnv({}, command));
    expect(e.code).toBe(4);
    for (const name of required) expect(e.message).toContain(name);
  });

  it('DEL works without CNI_NETNS (the namespace may be gone)', () => {
    const { CNI_NETNS: _gone, ...rest } = full;
    expect(parseEnv(rest, 'DEL').netns).toBe('');
  });

  it('VERSION ignores junk in every other variable', () => {
    const env = parseEnv({ CNI_NETNS: 'dummy', CNI_IFNAME: 'bad/name', CNI_CONTAINERID: '!!', CNI_ARGS: 'junk' }, 'VERSION');
    expect(env.command).toBe('VERSION');
  });

  it('rejects a bad container ID or ifname with code 4', () => {
    expect(errorOf(() => parseEnv({ ...full, CNI_CONTAINERID: '-abc' }, 'ADD')).code).toBe(4);
    expect(errorOf(() => parseEnv({ ...full, CNI_IFNAME: 'eth 0' }, 'ADD')).code).toBe(4);
  });

  it('rejects malformed CNI_ARGS with code 4', () => {
    expect(errorOf(() => parseEnv({ ...full, CNI_ARGS: 'oops' }, 'ADD')).code).toBe(4);
  });
});

describe('container IDs', () => {
  it.each(['a', 'abc-123_x.y', 'cnitool-0123456789abcdef0123', 'A9'])('accepts %s', (id) => {
    expect(() => validateContainerId(id)).not.toThrow();
  });
  it.each(['', '_a', '.a', 'a b', 'a/b', 'a;b', 'ä', 'a\x01', 'a\n'])('rejects %j', (id) => {
    expect(errorOf(() => validateContainerId(id)).code).toBe(4);
  });
  it('takes up to 128 characters: 64 hex digits as runtimes use, and room beyond', () => {
    expect(containerIdProblem('f'.repeat(64))).toBeUndefined();
    expect(containerIdProblem('a'.repeat(128))).toBeUndefined();
    expect(containerIdProblem('a'.repeat(129))).toMatch(/longer than 128/);
  });
  it('quotes a hostile ID in the message, shortened', () => {
    const e = errorOf(() => validateContainerId(`a"${'x'.repeat(500)}`));
    expect(e.message).toContain('CNI_CONTAINERID "a\\"xxx');
    expect(e.message.length).toBeLessThan(120);
  });
});

describe('interface names', () => {
  it.each(['eth0', 'a', 'x'.repeat(15), 'net-1.2_x', 'eth0.100', '_x', '.x'])('accepts %s', (n) =>
    expect(interfaceNameProblem(n)).toBeUndefined(),
  );
  const onlyAscii = /only letters A-Z a-z, digits/;
  it.each([
    ['', /empty/],
    ['x'.repeat(16), /15 bytes/],
    ['.', /"\."/],
    ['..', /"\.\."/],
    // what the kernel takes but no name of ours needs: non-ASCII, control characters, symbols
    ['ethé', onlyAscii],
    ['éééééééé', onlyAscii],
    ['e\x01', onlyAscii],
    ['e\x7f', onlyAscii],
    ['eth@0', onlyAscii],
    ['eth+', onlyAscii],
    ['-eth0', onlyAscii],
    // what the kernel refuses too
    ['a/b', onlyAscii],
    ['a:b', onlyAscii],
    ['a b', onlyAscii],
    ['a\tb', onlyAscii],
    ['a\nb', onlyAscii],
  ])('rejects %j', (n, why) => expect(interfaceNameProblem(n)).toMatch(why));

  it('refuses a bad CNI_IFNAME with code 4, naming the variable', () => {
    const e = errorOf(() => parseEnv({ ...full, CNI_IFNAME: 'ethé' }, 'ADD'));
    expect(e.code).toBe(4);
    expect(e.message).toContain('CNI_IFNAME');
  });
});
