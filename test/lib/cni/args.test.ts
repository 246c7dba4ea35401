import { describe, expect, it } from 'vitest';
import { checkKnownArgs, parseCniArgs } from '../../../lib/cni/args.js';
import { CniError } from '../../../lib/cni/errors.js';

describe('parseCniArgs', () => {
  it('reads K=V pairs in order, values may contain "="', () => {
    const a = parseCniArgs('IP=10.0.0.5;MAC=aa:bb:cc:dd:ee:ff;X=a=b');
    expect(a.pairs).toEqual([
      ['IP', '10.0.0.5'],
      ['MAC', 'aa:bb:cc:dd:ee:ff'],
      ['X', 'a=b'],
    ]);
    expect(a.values.get('X')).toBe('a=b');
    expect(a.ignoreUnknown).toBe(false);
  });

  it('tolerates empty input and empty segments', () => {
    expect(parseCniArgs(undefined).pairs).toEqual([]);
    expect(parseCniArgs(';;IP=1.2.3.4;').pairs).toEqual([['IP', '1.2.3.4']]);
  });

  it.each(['1', 'true', 'TRUE'])('IgnoreUnknown=%s sets the flag', (v) => {
    expect(parseCniArgs(`IgnoreUnknown=${v}`).ignoreUnknown).toBe(true);
  });

  it('IgnoreUnknown=0 does not', () => {
    expect(parseCniArgs('IgnoreUnknown=0').ignoreUnknown).toBe(false);
  });

  it.each(['novalue', '=x', 'A=1;broken'])('rejects "%s" with code 4', (text) => {
    expect(() => parseCniArgs(text)).toThrow(CniError);
    try {
      parseCniArgs(text);
    } catch (e) {
      expect((e as CniError).code).toBe(4);
    }
  });
});

describe('checkKnownArgs', () => {
  it('accepts known keys and the Kubernetes ones runtimes always send', () => {
    expect(() => checkKnownArgs(parseCniArgs('IP=1.2.3.4;K8S_POD_NAME=p;K8S_POD_NAMESPACE=n'), ['IP'])).not.toThrow();
  });

  it('rejects unknown keys naming them, with code 4', () => {
    try {
      checkKnownArgs(parseCniArgs('FOO=1;BAR=2'), ['IP']);
      expect.unreachable();
    } catch (e) {
      expect((e as CniError).code).toBe(4);
      expect((e as CniError).message).toContain('FOO, BAR');
    }
  });

  it('lets unknown keys pass with IgnoreUnknown', () => {
    expect(() => checkKnownArgs(parseCniArgs('IgnoreUnknown=1;FOO=1'), [])).not.toThrow();
  });
});
