// zonectl gc [NETWORK]: remove what attachments whose namespace is gone left behind.
import type { Command } from '../command.js';
import { collectGarbage, type GcReport } from '../gc.js';
import { lines } from '../io.js';
import { runtimeOptions, runtimePathsFrom } from '../runtime-options.js';
import { networksOfOurs } from '../status/networks.js';

export function renderGcReport(report: GcReport): string {
  if (report.skipped) return lines(`${report.network}: skipped (${report.skipped})`);
  const out = [
    ...report.removedAttachments.map((a) => `${report.network}: removed attachment ${a.containerId} ${a.ifname} (${a.why})`),
    ...report.removedLinks.map((l) => `${report.network}: removed host interface ${l}`),
    ...report.releasedAddresses.map((a) => `${report.network}: released address ${a}`),
  ];
  if (!out.length && !report.error) out.push(`${report.network}: nothing to collect`);
  return lines(...out);
}

export const gcCommand: Command = {
  spec: {
    name: 'gc',
    summary: 'Garbage-collect CNI networks: clean up after attachments whose namespace or boot is gone.',
    description:
      'Valid attachments are the cached ones whose network namespace still exists and that were\n' +
      'made in this boot. Every other cached attachment is deleted (DEL with its cached result),\n' +
      'then each plugin runs GC with the valid list (CNI 1.1), which removes leaked interfaces,\n' +
      'ports, names and addresses.\n' +
      'Each allocation, port record and name records the boot it was made in (the kernel boot ID),\n' +
      'so an attachment of an earlier boot is stale even when the runtime still caches it or a\n' +
      "namespace of the same path exists again. A record without a boot ID (host-local's, or an\n" +
      "older version's) is of unknown boot: plain gc judges it by the cache alone, --boot keeps it.\n" +
      'With --boot (what cni-zones-gc.service runs at boot): only what earlier boots left goes.\n' +
      'Every attachment the cache or our records know of is valid unless it is of an earlier boot,\n' +
      'so nothing of this boot is touched, even an attachment no runtime cache lists.\n' +
      'Without NETWORK: every network in the conf dir that uses the zone, zone-ipam or zone-ports plugin.',
    positionals: [{ name: 'NETWORK', optional: true, description: 'only this network (any plugins)' }],
    options: [
      { name: 'boot', kind: 'boolean', description: 'only remove attachments of earlier boots (for boot time)' },
      { name: 'json', kind: 'boolean', description: 'print the report as JSON' },
      ...runtimeOptions,
    ],
  },
  async run(args, io) {
    const paths = runtimePathsFrom(args);
    const [network] = args.positionals;
    const lists = await networksOfOurs(paths.confDir, network);
    const reports: GcReport[] = [];
    const mode = { boot: args.flag('boot') };
    for (const list of lists) reports.push(await collectGarbage(list, paths, mode));
    if (args.flag('json')) io.out(`${JSON.stringify(reports, null, 2)}\n`);
    else {
      if (!lists.length) io.out(lines(`No networks of ours in ${paths.confDir}; name one to collect it.`));
      for (const report of reports) io.out(renderGcReport(report));
    }
    const failed = reports.filter((r) => r.error);
    for (const r of failed) io.err(lines(`zonectl: GC of network ${r.network} failed: ${r.error}`));
    return failed.length ? 1 : 0;
  },
};
