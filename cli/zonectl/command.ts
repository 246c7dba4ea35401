// One zonectl command: its description (for parsing and --help) and what it does.
import type { CommandSpec, ParsedArgs } from './args.js';
import type { Io } from './io.js';

export interface Command {
  spec: CommandSpec;
  /** Resolves with the exit code. */
  run(args: ParsedArgs, io: Io): Promise<number>;
  /** Not listed in `zonectl --help` (internal entry points). */
  hidden?: boolean;
}
