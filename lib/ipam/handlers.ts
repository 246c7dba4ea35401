// The zone-ipam plugin's handler table: the IPAM commands (lib/ipam/commands.ts), each
// reading its configuration from the request.
import type { Handlers } from '../cni/dispatch.js';
import { ipamAdd, ipamCheck, ipamDel, ipamGc, ipamStatus } from './commands.js';

export const handlers: Handlers = {
  add: (req) => ipamAdd(req),
  del: (req) => ipamDel(req),
  check: (req) => ipamCheck(req),
  status: (req) => ipamStatus(req),
  gc: (req) => ipamGc(req),
};
