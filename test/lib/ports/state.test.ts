import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Element } from '../../../lib/nft/objects.js';
import { currentBootId } from '../../../lib/system/boot-id.js';
import { makeTestTempDir } from '../../support/paths.js';
import { collectStateTemps, listStates, readState, removeState, statePath, writeState } from '../../../lib/ports/state.js';

const owner = { network: 'web', containerId: 'c1', ifname: 'eth0' };
const elements: Element[] = [
  { kind: 'element', set: 'ports_any_v4', key: ['tcp', '8080'], value: ['10.89.0.5', '80'], comment: 'ports web c1 eth0' },
  { kind: 'element', set: 'ports_targets_v4', key: ['10.89.0.5'], comment: 'ports web c1 eth0' },
];

let dir: string;
beforeEach(() => {
  dir = join(makeTestTempDir('ports-state'), 'nested', 'ports');
});
afterEach(() => rmSync(join(dir, '..', '..'), { recursive: true, force: true }));

describe('state records', () => {
  it('round-trips, creating the directory, private, without temp files', () => {
    writeState(dir, { owner, elements });
    expect(readState(dir, owner)).toEqual({ owner, elements, bootId: currentBootId() });
    expect(readdirSync(dir)).toEqual([statePath(dir, owner).split('/').pop()]);
    expect(statSync(statePath(dir, owner)).mode & 0o777).toBe(0o600);
  });

  it('records the boot it was written in, keeps the one a rewritten record carries, and reads records without one', () => {
    const earlier = '00000000-0000-4000-8000-000000000001';
    writeState(dir, { owner, elements, bootId: earlier });
    expect(readState(dir, owner)?.bootId).toBe(earlier);
    writeFileSync(statePath(dir, owner), JSON.stringify({ version: 1, owner, elements: [] }));
    expect(readState(dir, owner)).toEqual({ owner, elements: [] });
    expect(readState(dir, owner)?.bootId).toBeUndefined();
  });

  it('is absent for other owners, junk, other sets; removal is idempotent', () => {
    expect(readState(dir, owner)).toBeUndefined();
    writeState(dir, { owner, elements });
    expect(readState(dir, { ...owner, ifname: 'eth1' })).toBeUndefined();
    writeFileSync(statePath(dir, owner), 'not json');
    expect(readState(dir, owner)).toBeUndefined();
    writeFileSync(statePath(dir, owner), JSON.stringify({ version: 1, owner, elements: [{ set: 'zone_masq_v4', key: ['10.0.0.0/8'] }] }));
    expect(readState(dir, owner)).toBeUndefined();
    removeState(dir, owner);
    removeState(dir, owner);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('lists every readable record', () => {
    expect(listStates(dir)).toEqual([]);
    writeState(dir, { owner, elements });
    writeState(dir, { owner: { ...owner, containerId: 'c2' }, elements: [] });
    writeFileSync(join(dir, 'stray.json'), '{}');
    expect(
      listStates(dir)
        .map((s) => s.owner.containerId)
        .sort(),
    ).toEqual(['c1', 'c2']);
  });

  it('writes through a temp file that is never a planted symlink, and reads no symlink as a record', () => {
    writeState(dir, { owner, elements });
    const path = statePath(dir, owner);
    const victim = join(dir, '..', 'victim');
    writeFileSync(victim, 'precious');
    symlinkSync(victim, `${path}.${process.pid}.tmp`);
    writeState(dir, { owner, elements: elements.slice(1) });
    expect(readFileSync(victim, 'utf8')).toBe('precious');
    expect(readState(dir, owner)?.elements).toEqual(elements.slice(1));
    expect(readdirSync(dir)).toEqual([basename(path)]);

    rmSync(path);
    symlinkSync(victim, path);
    expect(readState(dir, owner)).toBeUndefined();
  });

  it("collects temp files of dead writers: the owner's on DEL, all on GC; live writers' stay", () => {
    writeState(dir, { owner, elements });
    const other = { ...owner, containerId: 'c2' };
    const dead = spawnSync('true').pid!;
    const mine = `${basename(statePath(dir, owner))}.${dead}.tmp`;
    const theirs = `${basename(statePath(dir, other))}.${dead}.tmp`;
    const live = `${basename(statePath(dir, owner))}.${process.ppid}.tmp`;
    for (const name of [mine, theirs, live]) writeFileSync(join(dir, name), '{');
    collectStateTemps(dir, owner);
    expect(readdirSync(dir).sort()).toEqual([basename(statePath(dir, owner)), live, theirs].sort());
    collectStateTemps(dir);
    expect(readdirSync(dir).sort()).toEqual([basename(statePath(dir, owner)), live].sort());
  });
});
