import { describe, expect, it } from 'vitest';
import { FakeNft } from '../../../lib/nft/fake.js';
import { processSysctl, readRouteTable } from '../../../lib/ports/localnet.js';
import { worldOf } from '../../../lib/ports/request.js';

describe('worldOf', () => {
  it('uses our table and the real sysctls and routes unless told otherwise', () => {
    const world = worldOf();
    expect(world.table.name).toBe('cni_zones');
    expect(world.sysctl).toBe(processSysctl);
    expect(world.routeTable).toBe(readRouteTable);
    const executor = new FakeNft();
    const routeTable = () => '';
    expect(worldOf({ executor, routeTable }).routeTable).toBe(routeTable);
  });
});
