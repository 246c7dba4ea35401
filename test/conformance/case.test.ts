import { describe, expect, it } from 'vitest';
import { fail, isSelected, notApplicable, pass, Problems } from '../../conformance/case.js';

describe('isSelected', () => {
  const c = { id: 'env.missing-CNI_IFNAME@ADD', area: 'env' as const };

  it('selects everything without filters', () => {
    expect(isSelected(c, undefined)).toBe(true);
    expect(isSelected(c, [])).toBe(true);
  });

  it('selects by area, by id, by id without its version and by a prefix with *', () => {
    expect(isSelected(c, ['env'])).toBe(true);
    expect(isSelected(c, ['env.missing-CNI_IFNAME@ADD'])).toBe(true);
    expect(isSelected(c, ['env.missing-CNI_IFNAME'])).toBe(true);
    expect(isSelected(c, ['env.missing*'])).toBe(true);
    expect(isSelected({ id: 'add.version@1.0.0', area: 'add' }, ['add.version'])).toBe(true);
  });

  it('does not select partial words, longer ids or other areas', () => {
    expect(isSelected(c, ['en'])).toBe(false);
    expect(isSelected(c, ['env.missing'])).toBe(false);
    expect(isSelected(c, ['add', 'del'])).toBe(false);
    expect(isSelected({ id: 'check.after-add-with-capabilities', area: 'check' }, ['check.after-add'])).toBe(false);
  });
});

describe('verdicts', () => {
  it('builds pass, fail and n/a', () => {
    expect(pass()).toEqual({ status: 'pass', reason: '' });
    expect(fail('x')).toEqual({ status: 'fail', reason: 'x' });
    expect(notApplicable('y')).toEqual({ status: 'n/a', reason: 'y' });
  });

  it('Problems passes when empty and joins problems otherwise', () => {
    const p = new Problems();
    p.add(undefined);
    expect(p.empty).toBe(true);
    expect(p.verdict('fine')).toEqual({ status: 'pass', reason: 'fine' });
    p.add('one');
    p.addAll(['two', 'three'], 'bridge');
    expect(p.verdict('fine')).toEqual({ status: 'fail', reason: 'one; bridge: two; bridge: three' });
  });
});
