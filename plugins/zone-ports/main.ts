import { main } from '../../lib/cni/dispatch.js';
import { zonePortsHandlers } from '../../lib/ports/commands.js';

main(
  { name: 'zone-ports', about: 'zone-ports: publish container ports on the host and localhost with nftables' },
  zonePortsHandlers,
);
