import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { linkNameProblem } from '../../../lib/names/index.js';
import { parseStateFile, readIfindex, readLinkState } from '../../../lib/networkd/link-state.js';

// As networkd 252 writes it for a zone bridge.
const configuredBridge = `# This is private data. Do not parse.
ADMIN_STATE=configured
OPER_STATE=no-carrier
CARRIER_STATE=no-carrier
ADDRESS_STATE=routable
REQUIRED_FOR_ONLINE=no
NETWORK_FILE=/run/systemd/network/70-cni-zones-web.network
DNS=
`;

let root: string;
let paths: { stateDir: string; sysClassNet: string };

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'cni-zones-link-state-'));
  paths = { stateDir: join(root, 'netif'), sysClassNet: join(root, 'sys') };
  await mkdir(join(paths.stateDir, 'links'), { recursive: true });
  await mkdir(join(paths.sysClassNet, 'vz-web'), { recursive: true });
  await writeFile(join(paths.sysClassNet, 'vz-web', 'ifindex'), '7\n');
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('parseStateFile', () => {
  it('reads KEY=VALUE lines, skipping comments, keeping empty values and = in values', () => {
    expect(parseStateFile('# comment\nA=1\nB=\nC=x=y\n\nnot a pair\n')).toEqual({ A: '1', B: '', C: 'x=y' });
  });
});

describe('readLinkState', () => {
  it("returns networkd's view of the link, found through its ifindex", async () => {
    await writeFile(join(paths.stateDir, 'links', '7'), configuredBridge);
    const state = await readLinkState('vz-web', paths);
    expect(state).toMatchObject({
      ifname: 'vz-web',
      ifindex: 7,
      adminState: 'configured',
      operState: 'no-carrier',
      networkFile: '/run/systemd/network/70-cni-zones-web.network',
    });
    expect(state?.fields.REQUIRED_FOR_ONLINE).toBe('no');
  });

  it('has no network file for an unmanaged link', async () => {
    await writeFile(join(paths.stateDir, 'links', '7'), 'ADMIN_STATE=unmanaged\nOPER_STATE=carrier\n');
    expect(await readLinkState('vz-web', paths)).toMatchObject({ adminState: 'unmanaged', networkFile: undefined });
  });

  it('is undefined while the link or its state file is missing', async () => {
    expect(await readLinkState('vz-web', paths)).toBeUndefined();
    expect(await readLinkState('vz-none', paths)).toBeUndefined();
    expect(await readIfindex('vz-none', paths.sysClassNet)).toBeUndefined();
    expect(await readIfindex('vz-web', paths.sysClassNet)).toBe(7);
  });

  it('refuses interface names that could leave the directory', async () => {
    await expect(readLinkState('../vz-web', paths)).rejects.toThrow(TypeError);
    await expect(readLinkState('..', paths)).rejects.toThrow(TypeError);
  });
});

describe('linkNameProblem', () => {
  it.each([['vz-web'], ['eth0'], ['vz-abcdefghijkl'], ['a.b'], ['veth@1']])('accepts %j', (name) => {
    expect(linkNameProblem(name)).toBeUndefined();
  });

  it.each([[''], ['.'], ['..'], ['a/b'], ['a b'], ['vz-abcdefghijklm'], ['a\n']])('rejects %j', (name) => {
    expect(linkNameProblem(name)).toBeDefined();
  });
});
