// DEL and GC: a zone left without members (no port on its bridge, machines' ports counted)
// loses its isolation pairs (isolation.ts) and its name server (dns.ts). Asked once, with one
// links dump, without the lock (a DEL of one of many members takes none), then again under the
// zone lock, where both go; one failing does not keep the other.
import type { NetConf } from '../cni/config.js';
import { dnsStateDirOfDel } from './dns.js';
import { forgetZoneIsolation, zoneIsEmpty } from './isolation.js';
import { zoneOfDel } from './plan.js';
import { combined, runAll } from './steps.js';
import type { ZoneWorld } from './world.js';

export async function closeEmptyZone(world: ZoneWorld, conf: NetConf): Promise<void> {
  const zone = zoneOfDel(conf);
  if (zone === undefined) return;
  const host = await world.hostLinks();
  try {
    if (!(await zoneIsEmpty(host, zone.bridge))) return;
    await world.withZoneLock(async () => {
      if (!(await zoneIsEmpty(host, zone.bridge))) return;
      const failures = await runAll([
        () => forgetZoneIsolation(world, zone.bridge),
        () => world.dns.stopServer(zone.zone, dnsStateDirOfDel(conf)),
      ]);
      if (failures.length > 0) throw combined(failures, 'closing the empty zone');
    });
  } finally {
    host.close();
  }
}
