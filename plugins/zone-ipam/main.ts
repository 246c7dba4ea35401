// The engine is imported when a command runs (see plugins/zone/main.ts): VERSION stays cheap.
import { main } from '../../lib/cni/dispatch.js';
import { IPAM_ARGS } from '../../lib/ipam/args.js';

const engine = () => import('../../lib/ipam/commands.js');

main(
  {
    name: 'zone-ipam',
    about: 'zone-ipam: IP address management, compatible with host-local',
    knownArgs: IPAM_ARGS,
  },
  {
    add: async (req) => (await engine()).ipamAdd(req),
    del: async (req) => (await engine()).ipamDel(req),
    check: async (req) => (await engine()).ipamCheck(req),
    status: async (req) => (await engine()).ipamStatus(req),
    gc: async (req) => (await engine()).ipamGc(req),
  },
);
