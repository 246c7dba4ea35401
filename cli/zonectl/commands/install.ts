// zonectl install: the plugins and zonectl as a bundle directory, executables pointing into it,
// the example network, and the unit that repairs published ports after a ruleset flush.
import { resolve } from 'node:path';
import type { Command } from '../command.js';
import { DEFAULT_UNIT_DIR } from '../../../lib/nspawn/dropin.js';
import { DEFAULT_CONF_DIR } from '../../../lib/nspawn/runtime-paths.js';
import { twoColumns } from '../args.js';
import { CONFLIST_FILE, DEFAULT_NETWORK } from '../example.js';
import { applyInstall, type ItemOutcome } from '../install/apply.js';
import { DEFAULT_BIN_DIR, DEFAULT_LIB_DIR, DEFAULT_SBIN_DIR, planInstall, type InstallDirs, type InstallPlan } from '../install/plan.js';
import { type EnableOutcome, enableRepairUnit, REPAIR_UNIT } from '../install/repair-unit.js';
import { lines } from '../io.js';
import { bundleDir, selfForm } from '../self.js';

function describe(outcome: ItemOutcome): string {
  const { item } = outcome;
  return item.kind === 'symlink' ? `${item.target} -> ${item.linkTo}` : item.target;
}

/** What became of the repair unit, for the report. */
export function describeEnable(outcome: EnableOutcome): string[] {
  if (outcome.enabled) return [`${REPAIR_UNIT}: enabled and started (zonectl repair at boot and after nftables or firewalld start)`];
  if ('failed' in outcome) return [`${REPAIR_UNIT}: NOT enabled: ${outcome.failed}`, `  fix: systemctl status ${REPAIR_UNIT}`];
  return [`${REPAIR_UNIT}: written, not enabled (${outcome.why}); ${outcome.next}`];
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
    `next: zonectl up MACHINE --network ${DEFAULT_NETWORK}   (or: zonectl nspawn enable MACHINE)`,
  );
}

export const installCommand: Command = {
  spec: {
    name: 'install',
    summary: 'Install the plugins, zonectl and the example network.',
    description:
      'Copies the compiled executable cni-zones with its role links (or, run as a Node bundle, the\n' +
      'bundles and koffi, the native module they load) into LIB-DIR, links the plugins zone,\n' +
      'zone-ipam and zone-ports into BIN-DIR and zonectl into SBIN-DIR, writes the\n' +
      `example network "${DEFAULT_NETWORK}" to CONF-DIR/${CONFLIST_FILE}, and UNIT-DIR/${REPAIR_UNIT}, which runs\n` +
      '"zonectl repair" at boot and whenever nftables.service or firewalld.service starts, restarts or\n' +
      'reloads (each may flush the ruleset). Where systemd is PID 1 and reads UNIT-DIR, the unit is\n' +
      'enabled and started; elsewhere it is only written. A file that exists with other content\n' +
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
      { name: 'conf-dir', kind: 'string', value: 'DIR', description: 'where the example conflist goes', defaultText: DEFAULT_CONF_DIR },
      { name: 'lib-dir', kind: 'string', value: 'DIR', description: 'where the executables go', defaultText: DEFAULT_LIB_DIR },
      { name: 'sbin-dir', kind: 'string', value: 'DIR', description: 'where the zonectl link goes', defaultText: DEFAULT_SBIN_DIR },
      { name: 'unit-dir', kind: 'string', value: 'DIR', description: `where ${REPAIR_UNIT} goes`, defaultText: DEFAULT_UNIT_DIR },
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
    const plan = await planInstall(dirs, form, bundleDir(form));
    const outcomes = await applyInstall(plan.items, { force: args.flag('force') });
    const enable = await enableRepairUnit(dirs.unitDir);
    io.out(renderInstall(dirs, plan, outcomes, describeEnable(enable)));
    return 'failed' in enable ? 1 : 0;
  },
};
