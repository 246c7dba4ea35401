import { main } from '../../lib/cni/dispatch.js';

main(
  { name: 'zone', about: 'zone: attach containers to systemd-networkd zone bridges (vz-<zone>)' },
  {},
);
