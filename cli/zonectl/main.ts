// zonectl: the CLI of cni-zones. A small CNI runtime for systemd-nspawn machines (up, down,
// and the nspawn drop-in that runs them), views of zones and ports, GC, repair after a ruleset
// flush, install, and the demo.
// Each command lives in commands/; cli.ts dispatches.
import { run } from './cli.js';
import { describeFailure } from './errors.js';
import { lines, processIo } from './io.js';

run(process.argv.slice(2), processIo).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(lines(...describeFailure(e).lines));
    process.exitCode = 1;
  },
);
