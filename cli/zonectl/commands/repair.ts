// zonectl repair [NETWORK]: put back what a flushed ruleset or a killed [::1] proxy took away, and
// bring a multi-host zone's VXLAN port in line with its configuration.
import type { Command } from '../command.js';
import { lines } from '../io.js';
import { type RepairReport, repairNetworks } from '../repair/run.js';
import { runtimeOptions, runtimePathsFrom } from '../runtime-options.js';
import { networksOfOurs } from '../status/networks.js';

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function renderRepair(report: RepairReport): string {
  const out: string[] = [];
  for (const a of report.attachments) {
    const who = `${a.network} ${a.containerId} ${a.ifname}`;
    out.push(...a.restored.map((r) => `${who}: restored ${r}`), ...a.problems.map((p) => `${who}: NOT restored: ${p}`));
  }
  for (const z of report.zones) {
    const who = `zone ${z.zone}`;
    out.push(...z.restored.map((r) => `${who}: restored ${r}`), ...z.problems.map((p) => `${who}: NOT restored: ${p}`));
  }
  out.push(...report.errors.map((e) => `failed: ${e}`));
  if (out.length === 0) {
    const checked = [
      ...(report.attachments.length ? [plural(report.attachments.length, 'recorded attachment')] : []),
      ...(report.zones.length ? [plural(report.zones.length, 'zone')] : []),
    ];
    out.push(checked.length ? `nothing to repair: ${checked.join(' and ')} in place` : 'nothing to repair: nothing is recorded');
  }
  return lines(...out);
}

export const repairCommand: Command = {
  spec: {
    name: 'repair',
    summary: 'Restore published ports and proxies, zone rules, name servers and VXLAN ports after a flush.',
    description:
      'Puts back what the records say was published, after "nft flush ruleset", a restart of\n' +
      'nftables.service or firewalld, or a killed [::1] proxy: our table inet cni_zones with its\n' +
      "fixed rules, every recorded attachment's port elements that are gone (a port someone else\n" +
      'holds now is reported, never taken), route_localnet for localhost mappings, the\n' +
      'systemd-socket-proxyd behind each recorded [::1] port, the isolation of every zone with\n' +
      'members as its configuration says (allowZones), the masquerade of zones of the netlink\n' +
      "backend, and the zone's name server when it is on and not running (systemd-resolved is told\n" +
      "again where the zone's names are). For a zone across hosts (vxlan) whose bridge is on this\n" +
      'host: its VXLAN port made again when missing or of another VNI, local address or port, its\n' +
      'flood entries as the peers are configured now (added, removed), and our table bridge\n' +
      'cni_zones that keeps DHCP and router discovery on this host. No other table is read or\n' +
      "written. The records are the port records in each network's portsStateDir (default\n" +
      '/run/cni-zones/ports) and the result cache.\n' +
      'Without NETWORK: every network in the conf dir that uses our plugins. Attachments the result\n' +
      'cache knows with a namespace that is gone are left to "zonectl gc".\n' +
      'Exit code 0 when everything is in place afterwards; "zonectl install" adds the unit\n' +
      'cni-zones-repair.service, which runs this at boot and after nftables or firewalld (re)start.',
    positionals: [{ name: 'NETWORK', optional: true, description: 'only this network (any plugins)' }],
    options: [{ name: 'json', kind: 'boolean', description: 'print the report as JSON' }, ...runtimeOptions],
  },
  async run(args, io) {
    const paths = runtimePathsFrom(args);
    const [network] = args.positionals;
    const lists = await networksOfOurs(paths.confDir, network);
    const report = await repairNetworks(lists, paths);
    io.out(args.flag('json') ? `${JSON.stringify(report, null, 2)}\n` : renderRepair(report));
    if (!report.ok) io.err(lines('zonectl: not everything could be restored (see above)'));
    return report.ok ? 0 : 1;
  },
};
