// The parts of the package other engineers' renderers make: the boot GC unit, the man pages
// and bash completion. Each is added once its renderer exists.
import type { PackagedUnit, PackageEntry } from './layout.js';

export interface Extras {
  entries: PackageEntry[];
  /** Units besides the repair unit, for the maintainer scripts. */
  units: PackagedUnit[];
}

export function packageExtras(_version: string, _configurationMarkdown: string): Extras {
  // TODO(gc-unit): cni-zones-gc.service from renderGcUnit(['/usr/sbin/zonectl']) once
  // cli/zonectl/install/gc-unit.ts exists; enabled, not started (it is for boot).
  // TODO(manual): zonectl.8.gz, cni-zones.7.gz and the bash completion from cli/zonectl/manual/
  // once those renderers exist.
  return { entries: [], units: [] };
}
