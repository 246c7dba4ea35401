// The parts of the package other renderers make: the man pages and bash completion
// (cli/zonectl/manual/, from the same command specs and docs/configuration.md as zonectl's
// help and the docs) and the boot GC unit (the one `zonectl install` writes).
import { COMMANDS } from '../../cli/zonectl/cli.js';
import { GC_UNIT, renderGcUnit } from '../../cli/zonectl/install/gc-unit.js';
import { renderBashCompletion } from '../../cli/zonectl/manual/bash-completion.js';
import { renderConfigurationManPage } from '../../cli/zonectl/manual/configuration-page.js';
import { renderZonectlManPage } from '../../cli/zonectl/manual/zonectl-page.js';
import { type PackagedUnit, type PackageEntry, UNIT_DIR, ZONECTL } from './layout.js';

export interface Extras {
  entries: PackageEntry[];
  /** Units besides the repair unit, for the maintainer scripts. */
  units: PackagedUnit[];
}

export function packageExtras(version: string, configurationMarkdown: string): Extras {
  return {
    entries: [
      { kind: 'write', path: '/usr/share/man/man8/zonectl.8.gz', content: renderZonectlManPage(version), mode: 0o644, gzip: true },
      {
        kind: 'write',
        path: '/usr/share/man/man7/cni-zones.7.gz',
        content: renderConfigurationManPage(configurationMarkdown, version),
        mode: 0o644,
        gzip: true,
      },
      { kind: 'write', path: '/usr/share/bash-completion/completions/zonectl', content: renderBashCompletion(COMMANDS), mode: 0o644 },
      { kind: 'write', path: `${UNIT_DIR}/${GC_UNIT}`, content: renderGcUnit([ZONECTL]), mode: 0o644 },
    ],
    // For boot: enabled, never started by the package (it would release nothing now, or worse,
    // race a runtime that is up).
    units: [{ name: GC_UNIT, start: false }],
  };
}
