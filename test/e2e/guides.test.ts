// Every guide under docs/guides/ is run (test/support/guides.ts): its `sh` blocks in order inside
// the environment its header names, with the package `make deb` built, each block's exit code and
// `output` block checked. A new guide is found without editing this file.

import { expect, onTestFinished } from 'vitest';
import { guideNames, openGuideEnv, packageFile, readGuide, runGuideSteps } from '../support/guides.js';
import { privileged } from '../support/privileges.js';

const suite = privileged(['ip', 'nsenter', 'unshare', 'setpriv', 'flock', 'mmdebstrap', 'systemd-nspawn']);
// The first run builds each guide's machine root (podman, containerd: a few minutes) and cnitool.
const guideTimeoutMs = 40 * 60_000;

for (const name of guideNames()) {
  suite.it(
    `docs/guides/${name}.md runs as written`,
    async () => {
      const guide = readGuide(name);
      const env = await openGuideEnv(guide, packageFile());
      onTestFinished(() => env.stop());
      const run = await runGuideSteps(guide, env);
      for (const step of run.skipped) console.log(`docs/guides/${name}.md:${step.line}: not run: ${step.notRun}`);
      expect(run.failure, run.failure).toBeUndefined();
      expect(run.ran.length).toBeGreaterThan(0);
    },
    guideTimeoutMs,
  );
}
