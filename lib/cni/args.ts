// CNI_ARGS: "K=V;K2=V2" (CONVENTIONS.md). Unknown keys are an error unless IgnoreUnknown is set,
// so a typo in an argument is reported instead of silently ignored.
import { CniError, ErrorCode } from './errors.js';

export interface CniArgs {
  /** Every pair as given, in order (kept for the result cache, which stores pairs). */
  pairs: [string, string][];
  values: Map<string, string>;
  ignoreUnknown: boolean;
}

/** Keys any plugin of ours accepts: runtimes send them to every plugin in a chain. */
const WELL_KNOWN_KEYS = ['IgnoreUnknown', 'K8S_POD_NAME', 'K8S_POD_NAMESPACE', 'K8S_POD_INFRA_CONTAINER_ID', 'K8S_POD_UID'];

export function parseCniArgs(text: string | undefined): CniArgs {
  const pairs: [string, string][] = [];
  for (const part of (text ?? '').split(';')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    if (eq <= 0) {
      throw new CniError(ErrorCode.InvalidEnvironment, `CNI_ARGS: invalid pair "${part}"`, 'expected KEY=VALUE pairs separated by ";"');
    }
    pairs.push([part.slice(0, eq), part.slice(eq + 1)]);
  }
  const values = new Map(pairs);
  const ignore = values.get('IgnoreUnknown');
  return { pairs, values, ignoreUnknown: ignore !== undefined && /^(1|true)$/i.test(ignore) };
}

/** Reject keys the plugin does not know, unless the runtime said IgnoreUnknown. */
export function checkKnownArgs(args: CniArgs, known: readonly string[]): void {
  if (args.ignoreUnknown) return;
  const unknown = args.pairs.map(([k]) => k).filter((k) => !known.includes(k) && !WELL_KNOWN_KEYS.includes(k));
  if (unknown.length) {
    throw new CniError(
      ErrorCode.InvalidEnvironment,
      `CNI_ARGS: unknown argument${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}`,
      'pass IgnoreUnknown=1 to ignore arguments this plugin does not use',
    );
  }
}
