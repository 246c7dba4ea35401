// STATUS: can this plugin serve an ADD now? The backend must be usable (networkd chosen
// but not running is code 50) and IPAM must be ready.
import type { Request } from '../cni/dispatch.js';
import { resolveBackend } from './backend.js';
import { loadZoneConfig } from './config.js';
import { runIpamStatus } from './ipam.js';

export async function status(req: Request): Promise<void> {
  const config = loadZoneConfig(req.conf);
  await resolveBackend(config.backend);
  await runIpamStatus(req);
}
