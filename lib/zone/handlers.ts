// The zone plugin's handler table: each CNI command of the zone core, on the machine itself.
import type { Handlers } from '../cni/dispatch.js';
import { attach } from './attach.js';
import { check } from './check.js';
import { loadZoneConfig } from './plan.js';
import { detach } from './detach.js';
import { gc } from './gc.js';
import { systemWorld } from './world.js';

export const handlers: Handlers = {
  add: (req) => attach(systemWorld(), req),
  del: (req) => detach(systemWorld(), req),
  check: (req) => check(systemWorld(), req),
  // Can this plugin serve an ADD now? The backend must be usable (networkd chosen but not
  // running is code 50) and IPAM must be ready.
  status: async (req) => {
    const world = systemWorld();
    await world.backend(loadZoneConfig(req.conf).backend);
    await world.ipam.status(req);
  },
  gc: (req) => gc(systemWorld(), req),
};
