// The names store of a zone: an owner's names replaced and removed under the zone's lock, the
// file written atomically and never through a symlink, and nothing left when the last name goes.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  type NameOwner,
  namesFilePath,
  readNamesFile,
  removeOwnerNames,
  removeUnlistedOwners,
  setOwnerNames,
} from '../../../lib/dns/names.js';
import { currentBootId } from '../../../lib/system/boot-id.js';
import { makeTestTempDir } from '../../support/paths.js';

function stateDir(): string {
  const dir = makeTestTempDir('dns-names');
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'dns'); // made by the first write
}

const web: NameOwner = { network: 'demo', containerId: 'c1', ifname: 'eth0' };
const other: NameOwner = { network: 'demo', containerId: 'c2', ifname: 'eth0' };
const machine: NameOwner = { machine: 'db' };
/** An attachment's names carry the boot they were registered in; a machine's do not. */
const thisBoot = { bootId: currentBootId() };

describe('names store', () => {
  it('adds an owner’s names lowercased with canonical addresses, in a file of the documented shape', async () => {
    const dir = stateDir();
    const entries = await setOwnerNames('demo', web, ['Web', 'www', 'web'], ['10.89.0.2', 'FD89:0::2'], { stateDir: dir });
    const expected = [
      { name: 'web', addresses: ['10.89.0.2', 'fd89::2'], owner: web, ...thisBoot },
      { name: 'www', addresses: ['10.89.0.2', 'fd89::2'], owner: web, ...thisBoot },
    ];
    expect(entries).toEqual(expected);
    const path = namesFilePath('demo', dir);
    expect(path).toBe(join(dir, 'demo.json'));
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ entries: expected });
    expect(readNamesFile(path)).toEqual(expected);
    expect(statSync(path).mode & 0o777).toBe(0o644);
  });

  it('replaces the owner’s earlier names and leaves other owners’ alone', async () => {
    const dir = stateDir();
    await setOwnerNames('demo', web, ['web', 'old'], ['10.89.0.2'], { stateDir: dir });
    await setOwnerNames('demo', machine, ['db'], ['10.89.0.3'], { stateDir: dir });
    const entries = await setOwnerNames('demo', web, ['web'], ['10.89.0.9'], { stateDir: dir });
    expect(entries).toEqual([
      { name: 'db', addresses: ['10.89.0.3'], owner: machine },
      { name: 'web', addresses: ['10.89.0.9'], owner: web, ...thisBoot },
    ]);
  });

  it('keeps a name two owners registered for both, and removes one owner’s without the other’s', async () => {
    const dir = stateDir();
    await setOwnerNames('demo', web, ['api'], ['10.89.0.4'], { stateDir: dir });
    await setOwnerNames('demo', other, ['api'], ['10.89.0.5'], { stateDir: dir });
    expect((await readNamesFile(namesFilePath('demo', dir))).map((e) => e.addresses)).toEqual([['10.89.0.4'], ['10.89.0.5']]);
    expect(await removeOwnerNames('demo', web, { stateDir: dir })).toEqual([
      { name: 'api', addresses: ['10.89.0.5'], owner: other, ...thisBoot },
    ]);
  });

  it('leaves neither file nor lock when the last name goes; removing what is not there is fine', async () => {
    const dir = stateDir();
    expect(await removeOwnerNames('demo', web, { stateDir: dir })).toEqual([]);
    await setOwnerNames('demo', web, ['web'], ['10.89.0.2'], { stateDir: dir });
    expect(readdirSync(dir).sort()).toEqual(['demo.json', 'demo.lock']);
    expect(await setOwnerNames('demo', web, [], [], { stateDir: dir })).toEqual([]);
    expect(readdirSync(dir)).toEqual([]);
    expect(readNamesFile(namesFilePath('demo', dir))).toEqual([]);
  });

  it('drops on GC the names of the network’s unlisted attachments only: listed ones, other networks’ and machines’ stay', async () => {
    const dir = stateDir();
    const elsewhere: NameOwner = { network: 'other', containerId: 'c9', ifname: 'eth0' };
    await setOwnerNames('demo', web, ['web'], ['10.89.0.2'], { stateDir: dir });
    await setOwnerNames('demo', other, ['api'], ['10.89.0.4'], { stateDir: dir });
    await setOwnerNames('demo', elsewhere, ['far'], ['10.89.0.9'], { stateDir: dir });
    await setOwnerNames('demo', machine, ['db'], ['10.89.0.3'], { stateDir: dir });
    const left = await removeUnlistedOwners('demo', 'demo', [{ network: 'demo', containerId: 'c2', ifname: 'eth0' }], { stateDir: dir });
    expect(left.map((entry) => entry.name)).toEqual(['api', 'db', 'far']);
    expect(readNamesFile(namesFilePath('demo', dir))).toEqual(left);
  });

  it('keeps zones apart', async () => {
    const dir = stateDir();
    await setOwnerNames('a', web, ['web'], ['10.1.0.2'], { stateDir: dir });
    await setOwnerNames('b', web, ['web'], ['10.2.0.2'], { stateDir: dir });
    expect(readNamesFile(namesFilePath('a', dir))[0]?.addresses).toEqual(['10.1.0.2']);
    expect(readNamesFile(namesFilePath('b', dir))[0]?.addresses).toEqual(['10.2.0.2']);
  });

  it('refuses invalid names, addresses, owners and zones before changing anything (code 7)', async () => {
    const dir = stateDir();
    await setOwnerNames('demo', web, ['web'], ['10.89.0.2'], { stateDir: dir });
    const before = readFileSync(namesFilePath('demo', dir), 'utf8');
    const cases: [() => Promise<unknown>, RegExp][] = [
      [() => setOwnerNames('demo', web, ['web', 'we_b'], ['10.89.0.2'], { stateDir: dir }), /invalid DNS name "we_b"/],
      [() => setOwnerNames('demo', web, ['-web'], ['10.89.0.2'], { stateDir: dir }), /invalid DNS name/],
      [() => setOwnerNames('demo', web, ['web.demo'], ['10.89.0.2'], { stateDir: dir }), /invalid DNS name/],
      [() => setOwnerNames('demo', web, ['x'.repeat(64)], ['10.89.0.2'], { stateDir: dir }), /longer than 63/],
      [() => setOwnerNames('demo', web, ['web'], ['10.89.0.2/24'], { stateDir: dir }), /invalid address/],
      [() => setOwnerNames('demo', { ...web, containerId: '../x' }, ['web'], [], { stateDir: dir }), /invalid container ID/],
      [() => setOwnerNames('demo', { machine: '-m' }, ['web'], [], { stateDir: dir }), /invalid machine name/],
      [() => setOwnerNames('../etc', web, ['web'], [], { stateDir: dir }), /invalid zone name/],
      [() => removeOwnerNames('demo', { ...web, ifname: 'a/b' }, { stateDir: dir }), /invalid interface name/],
    ];
    for (const [call, message] of cases) {
      await expect(call()).rejects.toMatchObject({ code: 7, message: expect.stringMatching(message) });
    }
    expect(readFileSync(namesFilePath('demo', dir), 'utf8')).toBe(before);
  });

  it('never writes or reads through a symlink planted at the store', async () => {
    const dir = stateDir();
    mkdirSync(dir, { recursive: true });
    const victim = join(dir, 'victim');
    writeFileSync(victim, 'precious');
    symlinkSync(victim, namesFilePath('demo', dir));
    expect(() => readNamesFile(namesFilePath('demo', dir))).toThrow(expect.objectContaining({ code: 5, details: 'it is a symbolic link' }));
    await expect(setOwnerNames('demo', web, ['web'], ['10.89.0.2'], { stateDir: dir })).rejects.toMatchObject({ code: 5 });
    expect(readFileSync(victim, 'utf8')).toBe('precious');
  });

  it('refuses a store that is not one (code 5), saying why', async () => {
    const dir = stateDir();
    mkdirSync(dir, { recursive: true });
    writeFileSync(namesFilePath('demo', dir), '{"entries": [{"name": 1}]}');
    expect(() => readNamesFile(namesFilePath('demo', dir))).toThrow(/not a names store/);
    writeFileSync(namesFilePath('demo', dir), 'nope');
    expect(() => readNamesFile(namesFilePath('demo', dir))).toThrow(/not JSON/);
    await expect(removeOwnerNames('demo', web, { stateDir: dir })).rejects.toMatchObject({ code: 5 });
  });

  it('collects the temp file of a killed writer and ignores other files', async () => {
    const dir = stateDir();
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, '.demo.json.999999999.tmp'), 'half');
    writeFileSync(join(dir, '.other.json.999999999.tmp'), 'not this zone’s');
    await setOwnerNames('demo', web, ['web'], ['10.89.0.2'], { stateDir: dir });
    expect(readdirSync(dir).sort()).toEqual(['.other.json.999999999.tmp', 'demo.json', 'demo.lock']);
  });

  it('waits for the zone’s lock, and gives up with code 11 when it is held too long', async () => {
    const dir = stateDir();
    mkdirSync(dir, { recursive: true });
    const lock = join(dir, 'demo.lock');
    const holder = spawn('flock', [lock, 'sh', '-c', 'echo locked; sleep 1']);
    onTestFinished(() => void holder.kill('SIGKILL'));
    await new Promise((resolve) => holder.stdout.once('data', resolve));
    await expect(setOwnerNames('demo', web, ['web'], ['10.89.0.2'], { stateDir: dir, lockTimeoutMs: 100 })).rejects.toMatchObject({
      code: 11,
    });
    expect(existsSync(namesFilePath('demo', dir))).toBe(false);
    const started = Date.now();
    await setOwnerNames('demo', web, ['web'], ['10.89.0.2'], { stateDir: dir, lockTimeoutMs: 5000 });
    expect(Date.now() - started).toBeGreaterThan(300);
    expect(readNamesFile(namesFilePath('demo', dir))).toHaveLength(1);
  });

  it('loses no owner’s names when owners write at once', async () => {
    const dir = stateDir();
    const owners = Array.from({ length: 12 }, (_, i): NameOwner => ({ network: 'demo', containerId: `c${i}`, ifname: 'eth0' }));
    await Promise.all(owners.map((owner, i) => setOwnerNames('demo', owner, [`n${i}`], [`10.89.0.${i + 2}`], { stateDir: dir })));
    expect(
      readNamesFile(namesFilePath('demo', dir))
        .map((e) => e.name)
        .sort(),
    ).toEqual(owners.map((_, i) => `n${i}`).sort());
    await Promise.all(owners.slice(0, 6).map((owner) => removeOwnerNames('demo', owner, { stateDir: dir })));
    expect(readNamesFile(namesFilePath('demo', dir))).toHaveLength(6);
  });

  it('holds, after any sequence of changes, exactly each owner’s last names', async () => {
    const dir = stateDir();
    const owners: NameOwner[] = [web, other, machine];
    const change = fc.record({
      owner: fc.integer({ min: 0, max: 2 }),
      names: fc.uniqueArray(fc.constantFrom('a', 'b', 'c', 'web'), { maxLength: 3 }),
      address: fc.integer({ min: 2, max: 250 }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(change, { maxLength: 8 }), async (changes) => {
        rmSync(dir, { recursive: true, force: true });
        const model = new Map<number, { names: string[]; address: string }>();
        for (const { owner, names, address } of changes) {
          await setOwnerNames('demo', owners[owner]!, names, [`10.89.0.${address}`], { stateDir: dir });
          model.set(owner, { names, address: `10.89.0.${address}` });
        }
        const expected = [...model.entries()].flatMap(([owner, { names, address }]) =>
          names.map((name) => ({ name, addresses: [address], owner: owners[owner], ...(owner === 2 ? {} : thisBoot) })),
        );
        const key = (e: { name: string; owner: unknown }) => `${e.name} ${JSON.stringify(e.owner)}`;
        const sort = <T extends { name: string; owner: unknown }>(list: T[]) => list.sort((x, y) => key(x).localeCompare(key(y)));
        expect(sort(readNamesFile(namesFilePath('demo', dir)))).toEqual(sort(expected));
      }),
      { numRuns: 30 },
    );
  });
});
