// Each command's code is imported when that command runs: esbuild keeps a dynamically
// imported module unevaluated in the bundle, so VERSION does not pay for bridges, nft, ports.
import { main } from '../../lib/cni/dispatch.js';
import { IPAM_ARGS } from '../../lib/ipam/args.js';

main(
  {
    name: 'zone',
    about: 'zone: attach containers to systemd-networkd zone bridges (vz-<zone>), beside systemd-nspawn machines',
    knownArgs: [...IPAM_ARGS, 'MAC'],
  },
  {
    add: async (req) => (await import('../../lib/zone/attach.js')).attach(req),
    del: async (req) => (await import('../../lib/zone/detach.js')).detach(req),
    check: async (req) => (await import('../../lib/zone/check.js')).check(req),
    status: async (req) => (await import('../../lib/zone/status.js')).status(req),
    gc: async (req) => (await import('../../lib/zone/gc.js')).gc(req),
  },
);
