import { main } from '../../lib/cni/dispatch.js';
import { ipamAdd, ipamCheck, ipamDel, ipamGc, ipamStatus } from '../../lib/ipam/commands.js';
import { IPAM_ARGS } from '../../lib/ipam/config.js';

main(
  {
    name: 'zone-ipam',
    about: 'zone-ipam: IP address management, compatible with host-local',
    knownArgs: IPAM_ARGS,
  },
  {
    add: (req) => ipamAdd(req),
    del: (req) => ipamDel(req),
    check: (req) => ipamCheck(req),
    status: (req) => ipamStatus(req),
    gc: (req) => ipamGc(req),
  },
);
