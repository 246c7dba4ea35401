// The handler table is imported when a command runs (see plugins/zone/main.ts).
import { main } from '../../lib/cni/dispatch.js';

main(
  { name: 'zone-ports', about: 'zone-ports: publish container ports on the host and localhost with nftables' },
  async () => (await import('../../lib/ports/handlers.js')).handlers,
);
