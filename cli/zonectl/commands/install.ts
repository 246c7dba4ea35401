// zonectl install: the plugins and zonectl as a bundle directory, executables pointing into it,
// the unit that repairs published ports after a ruleset flush and the one that collects what
// earlier boots left, and (with --example) the example network.
import { join, resolve } from 'node:path';
import type { Command } from '../command.js';
import { DEFAULT_UNIT_DIR } from '../../../lib/nspawn/dropin.js';
import { DEFAULT_CONF_DIR } from '../../../lib/nspawn/runtime-paths.js';
import { twoColumns } from '../args.js';
import { CONFLIST_FILE, DEFAULT_NETWORK } from '../example.js';
import { applyInstall, type ItemOutcome } from '../install/apply.js';
import { GC_UNIT } from '../install/gc-unit.js';
import { DEFAULT_BIN_DIR, DEFAULT_LIB_DIR, DEFAULT_SBIN_DIR, planInstall, type InstallDirs, type InstallPlan } from '../install/plan.js';
import { REPAIR_UNIT } from '../install/repair-unit.js';
import { enableUnits, type UnitOutcome, type UnitToEnable } from '../install/units.js';
import { lines } from '../io.js';
import { bundleDir, selfForm } from '../self.js';

function describe(outcome: ItemOutcome): string {
  const { item } = outcome;
  return item.kind === 'symlink' ? `${item.target} -> ${item.linkTo}` : item.target;
}

const UNITS: readonly (UnitToEnable & { does: string })[] = [
  { name: REPAIR_UNIT, start: true, does: 'zonectl repair at boot and after nftables or firewalld start' },
  // Started at boot only: run now it would find nothing an earlier boot left that plain `zonectl gc` would not.
  { name: GC_UNIT, start: false, does: 'zonectl gc --boot at each boot' },
];

/** What became of each unit, for the report. */
export function describeUnits(outcomes: readonly UnitOutcome[]): string[] {
  return outcomes.flatMap(({ unit, outcome }) => {
    const does = UNITS.find((u) => u.name === unit)?.does ?? '';
    if (outcome.enabled) return [`${unit}: enabled${outcome.started ? ' and started' : ''} (${does})`];
    if ('failed' in outcome) return [`${unit}: NOT enabled: ${outcome.failed}`, `  fix: systemctl status ${unit}`];
    return [`${unit}: written, not enabled (${outcome.why}); ${outcome.next}`];
  });
}

function nextStep(dirs: InstallDirs, plan: InstallPlan): string {
  if (plan.visible.has(join(dirs.confDir, CONFLIST_FILE)))
    return `next: zonectl up MACHINE --network ${DEFAULT_NETWORK}   (or: zonectl nspawn enable MACHINE)`;
  return `next: write a network into ${dirs.confDir} (or run again with --example for "${DEFAULT_NETWORK}"), then zonectl up MACHINE --network NAME`;
}

export function renderInstall(
  dirs: InstallDirs,
  plan: InstallPlan,
  outcomes: readonly ItemOutcome[],
  notes: readonly string[] = [],
): string {
  const library = outcomes.filter((o) => !plan.visible.has(o.item.target));
  const changed = library.filter((o) => o.action !== 'unchanged').length;
  const shown = outcomes.filter((o) => plan.visible.has(o.item.target)).map((o): [string, string] => [describe(o), o.action]);
  return lines(
    `${dirs.libDir}: ${library.length} file${library.length === 1 ? '' : 's'} (${plan.packages.length ? `bundles and ${plan.packages.join(', ')}` : 'the compiled executable and its role links'}), ${changed ? `${changed} written` : 'all unchanged'}`,
    ...twoColumns(shown),
    ...notes,
    nextStep(dirs, plan),
  );
}

export const installCommand: Command = {
  spec: {
    name: 'install',
    summary: 'Install the plugins, zonectl and their systemd units.',
    description:
      'Copies the compiled executable cni-zones with its role links (or, run as a Node bundle, the\n' +
      'bundles and koffi, the native module they load) into LIB-DIR, links the plugins zone,\n' +
      'zone-ipam and zone-ports into BIN-DIR and zonectl into SBIN-DIR, and writes two units to\n' +
      `UNIT-DIR: ${REPAIR_UNIT}, which runs "zonectl repair" at boot and whenever\n` +
      'nftables.service or firewalld.service starts, restarts or reloads (each may flush the\n' +
      `ruleset), and ${GC_UNIT}, which runs "zonectl gc --boot" once at boot, before the\n` +
      'container runtimes start, to release what attachments of earlier boots left. Where systemd\n' +
      'is PID 1 and reads UNIT-DIR, both are enabled and the repair unit started; elsewhere they\n' +
      'are only written. No network is configured unless --example says so: then the example\n' +
      `network "${DEFAULT_NETWORK}" goes to CONF-DIR/${CONFLIST_FILE}. A file that exists with other content\n` +
      'is never replaced without --force; nothing is written when one is found.',
    positionals: [],
    options: [
      {
        name: 'bin-dir',
        kind: 'string',
        value: 'DIR',
        description: 'CNI plugin directory for the plugin links',
        defaultText: DEFAULT_BIN_DIR,
      },
      {
        name: 'conf-dir',
        kind: 'string',
        value: 'DIR',
        description: 'the networks the units collect and repair; where --example writes',
        defaultText: DEFAULT_CONF_DIR,
      },
      { name: 'lib-dir', kind: 'string', value: 'DIR', description: 'where the executables go', defaultText: DEFAULT_LIB_DIR },
      { name: 'sbin-dir', kind: 'string', value: 'DIR', description: 'where the zonectl link goes', defaultText: DEFAULT_SBIN_DIR },
      {
        name: 'unit-dir',
        kind: 'string',
        value: 'DIR',
        description: `where ${REPAIR_UNIT} and ${GC_UNIT} go`,
        defaultText: DEFAULT_UNIT_DIR,
      },
      { name: 'example', kind: 'boolean', description: `also write the example network "${DEFAULT_NETWORK}" to CONF-DIR` },
      { name: 'force', kind: 'boolean', description: 'replace files that exist with other content' },
    ],
  },
  async run(args, io) {
    const dirs: InstallDirs = {
      libDir: resolve(args.string('lib-dir') ?? DEFAULT_LIB_DIR),
      binDir: resolve(args.string('bin-dir') ?? DEFAULT_BIN_DIR),
      sbinDir: resolve(args.string('sbin-dir') ?? DEFAULT_SBIN_DIR),
      confDir: resolve(args.string('conf-dir') ?? DEFAULT_CONF_DIR),
      unitDir: resolve(args.string('unit-dir') ?? DEFAULT_UNIT_DIR),
    };
    const form = selfForm();
    const plan = await planInstall(dirs, form, bundleDir(form), { example: args.flag('example') });
    const outcomes = await applyInstall(plan.items, { force: args.flag('force') });
    const units = await enableUnits(dirs.unitDir, UNITS);
    io.out(renderInstall(dirs, plan, outcomes, describeUnits(units)));
    return units.some(({ outcome }) => 'failed' in outcome) ? 1 : 0;
  },
};
