// The `ExecStart=` of a machine joined through a CNI network: systemd-nspawn@.service's own
// command line, with its networking replaced by `--network-namespace-path=/run/netns/%i`
// (the namespace `zonectl up` made in ExecStartPre). Read from the installed template, so
// local changes to it and newer systemd defaults carry over.
//
// `-U` (user namespacing) goes as well: a machine in its own user namespace cannot join a
// network namespace owned by the host's (nspawn 252: "Failed to join network namespace:
// Operation not permitted", measured here).
import { readFile } from 'node:fs/promises';
import { CniError, ErrorCode } from '../cni/errors.js';
import { parseUnitFile, valuesOf } from '../networkd/unit-file.js';
import { type ExecWord, type RawWord, withInstance } from './exec-line.js';

/** Where the template lives; an administrator's copy in /etc wins, as in systemd's search path. */
const NSPAWN_TEMPLATE_PATHS = [
  '/etc/systemd/system/systemd-nspawn@.service',
  '/lib/systemd/system/systemd-nspawn@.service',
  '/usr/lib/systemd/system/systemd-nspawn@.service',
] as const;

/** systemd 252 (Debian 12), used when no template is installed (e.g. generating for another host). */
export const DEFAULT_NSPAWN_EXEC_START =
  'systemd-nspawn --quiet --keep-unit --boot --link-journal=try-guest --network-veth -U --settings=override --machine=%i';

const NETNS_OPTION = '--network-namespace-path=';

// Options that give a machine its network; any of them conflicts with a namespace path.
const NETWORK_FLAGS = new Set(['--network-veth', '-n', '--private-network']);
const NETWORK_OPTIONS = [
  '--network-veth-extra',
  '--network-bridge',
  '--network-zone',
  '--network-interface',
  '--network-macvlan',
  '--network-ipvlan',
  '--network-namespace-path',
  '--port',
  '-p',
];
const USER_NAMESPACE_FLAGS = new Set(['-U']);
const USER_NAMESPACE_OPTIONS = ['--private-users', '--private-users-ownership', '--private-users-chown'];

export interface TemplateExecStart {
  /** The command line, in unit syntax. */
  line: string;
  /** The file it came from, or "built-in". */
  source: string;
}

/** The effective ExecStart= of a template's text: the last one after any reset. */
export function execStartOf(unitText: string): string | undefined {
  const values = valuesOf(parseUnitFile(unitText), 'Service', 'ExecStart');
  const afterReset = values.slice(values.lastIndexOf('') + 1);
  return afterReset.at(-1);
}

async function readIfPresent(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CniError(ErrorCode.IoFailure, `cannot read ${path}`, (e as Error).message);
  }
}

/** The ExecStart= of the first template found in `paths`, else systemd 252's. */
export async function readTemplateExecStart(paths: readonly string[] = NSPAWN_TEMPLATE_PATHS): Promise<TemplateExecStart> {
  for (const path of paths) {
    const text = await readIfPresent(path);
    const line = text === undefined ? undefined : execStartOf(text);
    if (line) return { line, source: path };
  }
  return { line: DEFAULT_NSPAWN_EXEC_START, source: 'built-in' };
}

function optionName(word: string): string {
  const equals = word.indexOf('=');
  return equals < 0 ? word : word.slice(0, equals);
}

function isDropped(word: string): { drop: boolean; takesNext: boolean; network: boolean } {
  const name = optionName(word);
  const hasValue = name !== word;
  if (NETWORK_FLAGS.has(word)) return { drop: true, takesNext: false, network: true };
  if (NETWORK_OPTIONS.includes(name)) return { drop: true, takesNext: !hasValue, network: true };
  if (USER_NAMESPACE_FLAGS.has(word)) return { drop: true, takesNext: false, network: false };
  // --private-users takes an optional value and only in the `=` form.
  if (USER_NAMESPACE_OPTIONS.includes(name)) return { drop: true, takesNext: false, network: false };
  return { drop: false, takesNext: false, network: false };
}

function splitWords(line: string): string[] {
  if (/["'\\]/.test(line)) {
    throw new CniError(
      ErrorCode.InvalidNetworkConfig,
      'the systemd-nspawn@.service ExecStart= uses quoting that zonectl does not rewrite',
      `${line}\nremove the quotes from the template's ExecStart=, or write the drop-in by hand`,
    );
  }
  return line.trim().split(/\s+/);
}

/**
 * The template's command line with every network and user-namespace option taken out and
 * `--network-namespace-path=/run/netns/%i` where the first network option was (at the end of
 * the options when there was none). Words stay in unit syntax.
 */
export function netnsExecStart(templateLine: string): ExecWord[] {
  const words = splitWords(templateLine);
  const netns: RawWord = withInstance(`${NETNS_OPTION}/run/netns/`);
  const out: ExecWord[] = [];
  let inserted = false;
  for (let i = 0; i < words.length; i++) {
    const word = words[i] as string;
    const verdict = i === 0 ? { drop: false, takesNext: false, network: false } : isDropped(word);
    if (verdict.takesNext) i++;
    if (verdict.network && !inserted) {
      out.push(netns);
      inserted = true;
    }
    if (!verdict.drop) out.push({ raw: word });
  }
  if (!inserted) out.splice(firstNonOption(out), 0, netns);
  return out;
}

// A command after the options (`systemd-nspawn ... /bin/sh`) must stay last.
function firstNonOption(words: readonly ExecWord[]): number {
  for (let i = 1; i < words.length; i++) {
    const word = words[i];
    const text = typeof word === 'string' ? word : word?.raw;
    if (text !== undefined && !text.startsWith('-')) return i;
  }
  return words.length;
}
