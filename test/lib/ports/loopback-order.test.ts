// route_localnet and its marker under a kill: the marker must exist before the switch is on,
// or a kill between the two leaves route_localnet on with nothing that ever turns it off.
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { openLoopback } from '../../../lib/ports/loopback.js';
import { worldOf } from '../../../lib/ports/request.js';
import { FakeNft } from '../../../lib/nft/fake.js';
import { makeTestTempDir } from '../../support/paths.js';

const KEY = 'net.ipv4.conf.vz-web.route_localnet';
let stateDir: string;
beforeEach(() => {
  stateDir = makeTestTempDir('ports-loopback-order');
});
afterEach(() => rmSync(stateDir, { recursive: true, force: true }));

it('writes the marker before it switches route_localnet on', async () => {
  const seen: boolean[] = [];
  const values: Record<string, string> = { [KEY]: '0' };
  const sysctl = {
    read: async (key: string | readonly string[]) => values[String(key).replaceAll(',', '.')] ?? '0',
    write: async (key: string | readonly string[], value: string | number) => {
      seen.push(existsSync(join(stateDir, 'localnet-vz-web')));
      values[String(key).replaceAll(',', '.')] = String(value);
    },
  };
  await openLoopback(worldOf({ executor: new FakeNft(), sysctl }), stateDir, 'vz-web');
  expect(seen).toEqual([true]);
  expect(values[KEY]).toBe('1');
});

it('takes the marker back when the switch cannot be set', async () => {
  const sysctl = {
    read: async () => '0',
    write: async () => {
      throw new Error('read-only /proc/sys');
    },
  };
  await expect(openLoopback(worldOf({ executor: new FakeNft(), sysctl }), stateDir, 'vz-web')).rejects.toThrow(/read-only/);
  expect(existsSync(join(stateDir, 'localnet-vz-web'))).toBe(false);
});
