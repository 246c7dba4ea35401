// zonectl(8), made from the same command specs as `zonectl --help` and `zonectl CMD --help`, so
// the manual cannot name an option the program lacks or miss one it has.
import { DEFAULT_DNS_STATE_DIR } from '../../../lib/dns/names.js';
import { DEFAULT_DATA_DIR } from '../../../lib/ipam/store.js';
import { defaultNetworkDir } from '../../../lib/networkd/files.js';
import { TABLE_NAME } from '../../../lib/nft/our-table.js';
import { DEFAULT_UNIT_DIR, DROPIN_NAME } from '../../../lib/nspawn/dropin.js';
import { DEFAULT_CACHE_DIR, DEFAULT_CONF_DIR, DEFAULT_PLUGIN_DIRS } from '../../../lib/nspawn/runtime-paths.js';
import { DEFAULT_STATE_DIR as DEFAULT_PORTS_STATE_DIR } from '../../../lib/ports/config.js';
import type { CommandSpec, OptionSpec, PositionalSpec } from '../args.js';
import { COMMANDS } from '../cli.js';
import { EXIT_FAILURE, EXIT_USAGE } from '../errors.js';
import { CONFLIST_FILE } from '../example.js';
import { DEFAULT_LIB_DIR, DEFAULT_SBIN_DIR } from '../install/plan.js';
import { GC_UNIT } from '../install/gc-unit.js';
import { REPAIR_UNIT } from '../install/repair-unit.js';
import { bold, italic, literal, RoffPage, text } from './roff.js';

function visibleSpecs(): CommandSpec[] {
  return COMMANDS.filter((c) => !c.hidden).map((c) => c.spec);
}

/** `zonectl up MACHINE [OPTIONS]`, in fonts or (for a heading, which has its own) without. */
function usage(spec: CommandSpec, fonts = true): string {
  const b = fonts ? bold : (s: string) => s;
  const i = fonts ? italic : (s: string) => s;
  const positionals = spec.positionals.map((p) => (p.optional ? `[${i(text(p.name))}]` : i(text(p.name))));
  return [b(literal(`zonectl ${spec.name}`)), ...positionals, ...(spec.options.length ? [`[${i('OPTIONS')}]`] : [])].join(' ');
}

function optionTag(option: OptionSpec): string {
  const long = bold(literal(`--${option.name}`));
  const value = option.kind === 'boolean' ? '' : ` ${italic(text(option.value ?? 'VALUE'))}`;
  return `${option.short ? `${bold(literal(`-${option.short}`))}, ` : ''}${long}${value}`;
}

function optionBody(option: OptionSpec): string[] {
  const body = [`${text(option.description)}${option.kind === 'list' && !/repeatable/.test(option.description) ? ' (repeatable)' : ''}`];
  if (option.defaultText !== undefined) {
    const value = /\s/.test(option.defaultText) ? text(option.defaultText) : literal(option.defaultText);
    body.push(`Default: ${value}`);
  }
  return body;
}

/**
 * A description's lines: runs of plain lines are one filled paragraph (they were wrapped for
 * a terminal); indented lines are a layout and stay as they are.
 */
function describe(page: RoffPage, description: string): void {
  let prose: string[] = [];
  let layout: string[] = [];
  const flush = (): void => {
    if (prose.length) page.paragraph(text(prose.join(' ')));
    if (layout.length) page.preformatted(layout);
    prose = [];
    layout = [];
  };
  for (const line of description.split('\n')) {
    if (/^\s/.test(line)) {
      if (prose.length) flush();
      layout.push(line.replace(/^ {2}/, ''));
    } else {
      if (layout.length) flush();
      prose.push(line);
    }
  }
  flush();
}

function positionalTag(positional: PositionalSpec): string {
  return italic(text(positional.name));
}

function commandSection(page: RoffPage, spec: CommandSpec): void {
  page.subsection(usage(spec, false));
  page.paragraph(text(spec.summary));
  if (spec.description) describe(page, spec.description);
  for (const positional of spec.positionals) page.tagged(positionalTag(positional), text(positional.description));
  for (const option of spec.options) page.tagged(optionTag(option), ...optionBody(option));
  if (spec.examples?.length) {
    page.paragraph('Examples:');
    page.preformatted(spec.examples);
  }
}

// Where the Debian package puts what `zonectl install` puts under its directory options
// (packaging/deb/layout.ts; the package is built from this tree, not the other way round).
const PACKAGE_LIB_DIR = '/usr/lib/cni-zones';
const PACKAGE_ZONECTL = '/usr/sbin/zonectl';
const PACKAGE_UNIT_DIR = '/lib/systemd/system';

function files(page: RoffPage): void {
  const entries: [string, string][] = [
    [
      `${DEFAULT_CONF_DIR}/`,
      `Network configuration lists (*.conflist). "zonectl install --example" writes the example network ${CONFLIST_FILE} here.`,
    ],
    [DEFAULT_PLUGIN_DIRS.join(', '), 'Where the plugins zone, zone-ipam and zone-ports are looked for (CNI_PATH).'],
    [
      `${PACKAGE_LIB_DIR}/, ${DEFAULT_LIB_DIR}/`,
      'The compiled executable cni-zones and its role links: installed by the Debian package, and by "zonectl install".',
    ],
    [`${PACKAGE_ZONECTL}, ${DEFAULT_SBIN_DIR}/zonectl`, 'zonectl, from the Debian package and from "zonectl install".'],
    [`${DEFAULT_CACHE_DIR}/results/`, "The runtime's result cache (libcni's layout, shared with cnitool and podman)."],
    [`${DEFAULT_DATA_DIR}/`, "zone-ipam's address store, one directory per network (host-local's layout)."],
    [`${DEFAULT_PORTS_STATE_DIR}/`, 'What each attachment published, so that DEL removes exactly that.'],
    [`${DEFAULT_DNS_STATE_DIR}/`, "Each zone's names and the record of its name server."],
    [`${defaultNetworkDir}/70-cni-zones-ZONE.netdev, .network`, "A zone's bridge, made by systemd-networkd (networkd backend)."],
    [`/run/netns/MACHINE`, 'The network namespace "zonectl up" makes for a machine.'],
    [`${DEFAULT_UNIT_DIR}/systemd-nspawn@MACHINE.service.d/${DROPIN_NAME}`, 'The drop-in of "zonectl nspawn enable".'],
    [
      `${PACKAGE_UNIT_DIR}/${GC_UNIT}, ${DEFAULT_UNIT_DIR}/${GC_UNIT}`,
      'Runs "zonectl gc --boot" once at boot: releases what attachments of earlier boots left. From the Debian package and from "zonectl install".',
    ],
    [
      `${PACKAGE_UNIT_DIR}/${REPAIR_UNIT}, ${DEFAULT_UNIT_DIR}/${REPAIR_UNIT}`,
      'Runs "zonectl repair" at boot and when nftables.service or firewalld.service (re)starts.',
    ],
    [
      `table inet ${TABLE_NAME}`,
      'Our nftables table: published ports, masquerade, isolation between zones. Nothing else in the ruleset is touched.',
    ],
  ];
  page.section('FILES');
  for (const [path, what] of entries) page.tagged(bold(literal(path)), text(what));
}

export function renderZonectlManPage(version: string): string {
  const page = new RoffPage({ title: 'ZONECTL', section: 8, source: `cni-zones ${version}`, manual: 'System Administration' });
  page.section('NAME').line(`zonectl ${literal('-')} attach systemd\\-nspawn machines to CNI zones, show and repair them`);
  page.section('SYNOPSIS');
  page.paragraph(`${bold('zonectl')} ${italic('COMMAND')} [${italic('ARGUMENTS')}] [${italic('OPTIONS')}]`);
  for (const spec of visibleSpecs()) page.line(usage(spec), true);
  page.line(`${bold('zonectl help')} [${italic('COMMAND')}]`, true);
  page.line(`${bold('zonectl')} ${bold(literal('--help'))} | ${bold(literal('--version'))}`, true);

  page.section('DESCRIPTION');
  page.paragraph(
    text(
      'cni-zones puts containers and systemd-nspawn machines into the same systemd-networkd zones: ' +
        'a bridge vz-ZONE per zone, addresses from one IPAM store, published ports and isolation in one nftables table. ' +
        'The plugins zone, zone-ipam and zone-ports are run by container runtimes (podman, containerd, cnitool); ' +
        'their configuration is described in cni-zones(7).',
    ),
  );
  page.paragraph(
    text(
      'zonectl is the administrator\'s side: it acts as the CNI runtime of nspawn machines ("up", "down", "nspawn enable"), ' +
        'shows zones, attachments and published ports ("status", "ports"), releases what no runtime uses any more ("gc"), ' +
        'puts back what a flushed ruleset took ("repair"), and installs the plugins ("install").',
    ),
  );
  page.paragraph(
    text(
      'Every command takes -h or --help, which prints its arguments and options. ' +
        'Options are written --name VALUE or --name=VALUE; "--" ends the options.',
    ),
  );

  page.section('COMMANDS');
  for (const spec of visibleSpecs()) commandSection(page, spec);

  page.section('EXIT STATUS');
  page.tagged(bold('0'), text('Success; for "zonectl status", every zone and attachment is healthy.'));
  page.tagged(
    bold(String(EXIT_FAILURE)),
    text('The command failed (the reason and the fix are printed on stderr), or "zonectl status" found a problem.'),
  );
  page.tagged(bold(String(EXIT_USAGE)), text('The command line was wrong: an unknown command or option, a missing argument.'));

  files(page);

  page.section('SEE ALSO');
  page.paragraph(text('cni-zones(7), systemd-nspawn(1), machinectl(1), systemd.network(5), systemd-networkd(8), nft(8)'));
  return page.toString();
}
