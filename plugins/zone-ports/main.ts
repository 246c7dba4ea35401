// The engine is imported when a command runs (see plugins/zone/main.ts): VERSION stays cheap.
import { main } from '../../lib/cni/dispatch.js';

const engine = async () => (await import('../../lib/ports/commands.js')).zonePortsHandlers;

main(
  { name: 'zone-ports', about: 'zone-ports: publish container ports on the host and localhost with nftables' },
  {
    add: async (req) => (await engine()).add(req),
    del: async (req) => (await engine()).del(req),
    check: async (req) => (await engine()).check(req),
    status: async (req) => (await engine()).status(req),
    gc: async (req) => (await engine()).gc(req),
  },
);
