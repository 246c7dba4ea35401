// The handler table is imported when a command runs: esbuild keeps a dynamically imported
// module unevaluated in the bundle, so VERSION does not pay for bridges, nft, ports.
import { main } from '../../lib/cni/dispatch.js';
import { IPAM_ARGS } from '../../lib/ipam/args.js';

main(
  {
    name: 'zone',
    about: 'zone: attach containers to systemd-networkd zone bridges (vz-<zone>), beside systemd-nspawn machines',
    knownArgs: [...IPAM_ARGS, 'MAC'],
  },
  async () => (await import('../../lib/zone/handlers.js')).handlers,
);
