import { main } from '../../lib/cni/dispatch.js';

main(
  { name: 'zone-ports', about: 'zone-ports: publish container ports on the host and localhost with nftables' },
  {},
);
