import { describe, expect, it } from 'vitest';
import { INSTANCE, parseExecLine, quoteExecWord, renderExecLine, withInstance } from '../../../lib/nspawn/exec-line.js';

describe('quoteExecWord', () => {
  it.each([
    ['/usr/bin/node', '/usr/bin/node'],
    ['--port', '--port'],
    ['tcp:8080:80', 'tcp:8080:80'],
    ['50%', '50%%'],
    ['$HOME', '$$HOME'],
    ['with space', '"with space"'],
    ['say "hi"', '"say \\"hi\\""'],
    ['back\\slash', '"back\\\\slash"'],
    ['', '""'],
    [';', '";"'],
  ])('%j → %s', (word, quoted) => {
    expect(quoteExecWord(word)).toBe(quoted);
  });

  it('writes raw words as they are', () => {
    expect(quoteExecWord(INSTANCE)).toBe('%i');
    expect(quoteExecWord(withInstance('/run/netns/'))).toBe('/run/netns/%i');
    expect(quoteExecWord(withInstance('50%/', '/$x'))).toBe('50%%/%i/$$x');
  });

  it('refuses control characters', () => {
    expect(() => quoteExecWord('a\nb')).toThrow(/control character/);
  });
});

describe('renderExecLine', () => {
  it('joins the words', () => {
    expect(renderExecLine(['/usr/bin/node', '/opt/z/zonectl', 'up', INSTANCE, '--conf-dir', '/etc/my dir'])).toBe(
      '/usr/bin/node /opt/z/zonectl up %i --conf-dir "/etc/my dir"',
    );
  });

  it('refuses an executable that systemd would read as a prefix', () => {
    expect(() => renderExecLine(['-/bin/x'])).toThrow(/may not start/);
    expect(() => renderExecLine([])).toThrow(/empty/);
  });
});

describe('parseExecLine', () => {
  it('splits as systemd does, expanding specifiers', () => {
    expect(parseExecLine('systemd-nspawn --quiet --machine=%i --network-namespace-path=/run/netns/%i', { i: 'web' })).toEqual({
      flags: '',
      argv: ['systemd-nspawn', '--quiet', '--machine=web', '--network-namespace-path=/run/netns/web'],
    });
  });

  it('reads quotes, escapes, %% and $$', () => {
    expect(parseExecLine(`-/bin/echo "a b" 'c d' e\\"f 100%% $$PATH ""`).argv).toEqual([
      '/bin/echo',
      'a b',
      'c d',
      'e"f',
      '100%',
      '$PATH',
      '',
    ]);
    expect(parseExecLine('-@/bin/x').flags).toBe('-@');
  });

  it('reads back whatever renderExecLine writes', () => {
    const words = ['/usr/bin/node', '/a b/zonectl', 'up', INSTANCE, '--cni-path', '/x:/y', '--odd', 'q"u\\o%t$e'];
    expect(parseExecLine(renderExecLine(words), { i: 'm1' }).argv).toEqual([
      '/usr/bin/node',
      '/a b/zonectl',
      'up',
      'm1',
      '--cni-path',
      '/x:/y',
      '--odd',
      'q"u\\o%t$e',
    ]);
  });

  it('refuses what it cannot expand', () => {
    expect(() => parseExecLine('/bin/x %n')).toThrow(/specifier %n/);
    expect(() => parseExecLine('/bin/x $HOME')).toThrow(/environment variables/);
    expect(() => parseExecLine('/bin/x "open')).toThrow(/unterminated/);
    expect(() => parseExecLine('/bin/x \\q')).toThrow(/escape/);
  });
});
