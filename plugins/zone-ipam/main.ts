// The handler table is imported when a command runs (see plugins/zone/main.ts).
import { main } from '../../lib/cni/dispatch.js';
import { IPAM_ARGS } from '../../lib/ipam/args.js';

main(
  { name: 'zone-ipam', about: 'zone-ipam: IP address management, compatible with host-local', knownArgs: IPAM_ARGS },
  async () => (await import('../../lib/ipam/handlers.js')).handlers,
);
