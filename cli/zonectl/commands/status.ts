// zonectl status [ZONE]: every zone and its attachments; exit code 0 when all are healthy.
import type { Command } from '../command.js';
import { runtimeOptions, runtimePathsFrom } from '../runtime-options.js';
import { collectStatus } from '../status/collect.js';
import { renderStatus } from '../status/render.js';
import { CommandError } from '../errors.js';

export const statusCommand: Command = {
  spec: {
    name: 'status',
    summary: 'Show zones, their bridges and attachments, and whether each attachment passes CHECK.',
    description:
      'For each network whose chain holds the "zone" plugin: the bridge vz-<zone>, the backend\n' +
      "(systemd-networkd or netlink) and networkd's state of the bridge, subnets, the DHCP pool\n" +
      "networkd serves to --network-zone machines, the zone's name server (running or not, and the\n" +
      "domain it answers), the network's CNI STATUS, every cached attachment with its container\n" +
      'ID, its names in the zone, interface, addresses, MAC, published ports and CHECK, and the\n' +
      'nspawn machines on the bridge (--network-zone) with their names and addresses. For a zone\n' +
      'across hosts (vxlan): its VXLAN port vx-<zone> (VNI, local address and UDP port, MTU), whether\n' +
      'the bridge table cni_zones keeps DHCP and router discovery on this host, and each peer with\n' +
      'its flood entry and whether it answers one ping from vxlan.local within a second (all peers\n' +
      'at once; iputils ping, else busybox ping); flood entries of no peer are listed too.\n' +
      'Drift (what the port records, the masquerade, the isolation or a VXLAN port should be and is\n' +
      'not, after a ruleset flush, a killed [::1] proxy or a change of peers) is listed with the fix,\n' +
      '"zonectl repair"; a peer that gives no answer is a problem too.\n' +
      'Exit code 0 when everything is healthy, 1 otherwise.',
    positionals: [{ name: 'ZONE', optional: true, description: 'only this zone (zone or network name)' }],
    options: [{ name: 'json', kind: 'boolean', description: 'print the report as JSON' }, ...runtimeOptions],
  },
  async run(args, io) {
    const [zone] = args.positionals;
    const paths = runtimePathsFrom(args);
    const report = await collectStatus({ ...paths, ...(zone !== undefined && { zone }) });
    if (zone !== undefined && report.zones.length === 0) {
      throw new CommandError(
        `no zone or network "${zone}" in ${paths.confDir}`,
        'run "zonectl status" to list the zones, or pass --conf-dir',
      );
    }
    io.out(args.flag('json') ? `${JSON.stringify(report, null, 2)}\n` : renderStatus(report, { colour: io.tty }));
    return report.healthy ? 0 : 1;
  },
};
