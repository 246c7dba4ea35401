// zonectl remove-zone ZONE: take a zone without members off this host (lib/zone/remove.ts).
import { DEFAULT_DNS_STATE_DIR } from '../../../lib/dns/names.js';
import { zoneNameProblem } from '../../../lib/names/index.js';
import { defaultNetworkDir } from '../../../lib/networkd/files.js';
import { removeZone, ZoneInUseError } from '../../../lib/zone/remove.js';
import { systemWorld } from '../../../lib/zone/world.js';
import type { Command } from '../command.js';
import { lines } from '../io.js';

export const removeZoneCommand: Command = {
  spec: {
    name: 'remove-zone',
    summary: 'Remove ZONE from this host once no container or machine is on it.',
    description:
      'Deletes the bridge vz-ZONE and, for a multi-host zone, its VXLAN port vx-ZONE (the other\n' +
      "hosts keep theirs), the zone's networkd files, its masquerade and isolation in our nftables\n" +
      'table and its name server; the bridge table that keeps DHCP and router advertisements on\n' +
      'this host goes with the last VXLAN port. Refused, changing nothing, while a container veth\n' +
      'or an nspawn machine is on the bridge. A zone that is not there is not an error.',
    positionals: [{ name: 'ZONE', description: 'the zone (the bridge is vz-ZONE)' }],
    options: [
      {
        name: 'network-dir',
        kind: 'string',
        value: 'DIR',
        description: "where the zone's networkd files are",
        defaultText: defaultNetworkDir,
      },
      {
        name: 'dns-state-dir',
        kind: 'string',
        value: 'DIR',
        description: "the zone's nameServer.stateDir",
        defaultText: DEFAULT_DNS_STATE_DIR,
      },
    ],
  },
  async run(args, io) {
    const [zone = ''] = args.positionals;
    const problem = zoneNameProblem(zone);
    if (problem) {
      io.err(lines(`zonectl: invalid zone name ${JSON.stringify(zone)}: ${problem}`));
      return 2;
    }
    try {
      const removed = await removeZone(systemWorld(), {
        zone,
        networkDir: args.string('network-dir') ?? defaultNetworkDir,
        dnsStateDir: args.string('dns-state-dir') ?? DEFAULT_DNS_STATE_DIR,
      });
      io.out(lines(removed.length > 0 ? `zone ${zone}: removed ${removed.join(', ')}` : `zone ${zone}: nothing left to remove`));
      return 0;
    } catch (e) {
      if (!(e instanceof ZoneInUseError)) throw e;
      io.err(lines(`zonectl: ${e.message}`, '  fix: take them off first ("zonectl down", the runtime\'s DEL, machinectl stop)'));
      return 1;
    }
  },
};
