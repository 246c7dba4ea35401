import { main } from '../../lib/cni/dispatch.js';

main(
  { name: 'zone-ipam', about: 'zone-ipam: IP address management, compatible with host-local' },
  {},
);
