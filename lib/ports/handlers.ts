// The chained zone-ports plugin's handler table: port publishing (lib/ports/commands.ts) for
// the interface and addresses the plugin before it reported in prevResult.
import type { Handlers, Request } from '../cni/dispatch.js';
import { CniError, ErrorCode } from '../cni/errors.js';
import type { Result } from '../cni/types.js';
import { portsAdd, portsCheck, portsDel, portsGc, portsStatus } from './commands.js';

function requireResult(req: Request, command: string): Result {
  if (req.prevResult === undefined) {
    throw new CniError(
      ErrorCode.InvalidNetworkConfig,
      `zone-ports ${command} needs a prevResult`,
      'zone-ports is a chained plugin: put it after the plugin that creates the interface (zone, bridge, ptp...)',
    );
  }
  return req.prevResult;
}

export const handlers: Handlers = {
  add: async (req) => portsAdd(req, requireResult(req, 'ADD')),
  del: (req) => portsDel(req),
  check: async (req) => portsCheck(req, requireResult(req, 'CHECK')),
  status: (req) => portsStatus(req),
  gc: (req) => portsGc(req),
};
