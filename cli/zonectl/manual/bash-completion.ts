// The bash completion of zonectl, made from the command specs: command names (two-word ones such
// as "nspawn enable" a word at a time), each command's options, and the values that can be known
// (directories, files, networks named in the conf dir, machines in /var/lib/machines). It uses
// bash-completion's _filedir where that is loaded and plain compgen where it is not, and reads
// COMP_WORDS itself, so it needs nothing but bash.
import type { CommandSpec, OptionSpec } from '../args.js';
import type { Command } from '../command.js';
import { DEFAULT_CONF_DIR } from '../../../lib/nspawn/runtime-paths.js';

/** The shells there is a completion script for. */
export const COMPLETION_SHELLS: readonly string[] = ['bash'];

type ValueKind = 'dir' | 'file' | 'network' | 'any';

/** What the value of an option is, for completing it. */
function valueKind(option: OptionSpec): ValueKind {
  if (option.name === 'network') return 'network';
  if (option.value === 'DIR' || option.value === 'DIRS' || option.name.endsWith('-dir') || option.name === 'host-root') return 'dir';
  if (option.value === 'FILE' || option.value === 'PATH') return 'file';
  return 'any';
}

const HELP_WORDS = ['--help', '-h'];

function visibleSpecs(commands: readonly Command[]): CommandSpec[] {
  return commands.filter((c) => !c.hidden).map((c) => c.spec);
}

/** A word for a bash `case` pattern or a list, quoted. */
function quote(word: string): string {
  if (!/^[A-Za-z0-9_@%+=:,./ -]+$/.test(word)) throw new Error(`unexpected character in a completion word: ${JSON.stringify(word)}`);
  return `'${word}'`;
}

function optionWords(spec: CommandSpec): string[] {
  return [...spec.options.flatMap((o) => [`--${o.name}`, ...(o.short ? [`-${o.short}`] : [])]), ...HELP_WORDS];
}

function caseArms(arms: readonly [string[], string][], indent: string): string {
  return arms.map(([patterns, body]) => `${indent}${patterns.map(quote).join('|')}) ${body} ;;`).join('\n');
}

/** `case "$command $option"` arms: the kind of value each option takes (flags have none). */
function valueArms(specs: readonly CommandSpec[]): [string[], string][] {
  const byKind = new Map<string, string[]>();
  for (const spec of specs) {
    for (const option of spec.options) {
      if (option.kind === 'boolean') continue;
      const kind = valueKind(option);
      const names = [`--${option.name}`, ...(option.short ? [`-${option.short}`] : [])];
      byKind.set(kind, [...(byKind.get(kind) ?? []), ...names.map((name) => `${spec.name} ${name}`)]);
    }
  }
  return [...byKind].map(([kind, patterns]) => [patterns, `echo ${kind}`]);
}

function firstWords(specs: readonly CommandSpec[]): string[] {
  return [...new Set(specs.map((s) => s.name.split(' ')[0]!))];
}

function groupArms(specs: readonly CommandSpec[]): [string[], string][] {
  const groups = new Map<string, string[]>();
  for (const spec of specs) {
    const [group, member] = spec.name.split(' ');
    if (member !== undefined) groups.set(group!, [...(groups.get(group!) ?? []), member]);
  }
  return [...groups].map(([group, members]) => [[group], `echo ${members.map(quote).join(' ')}`]);
}

/** How the first argument of a command is completed, by the name the spec gives it. */
const FIRST_ARGUMENT: Readonly<Record<string, string>> = {
  MACHINE: '_zonectl_machines',
  SHELL: `echo ${COMPLETION_SHELLS.map(quote).join(' ')}`,
};

function firstArgumentArms(specs: readonly CommandSpec[]): [string[], string][] {
  const byWords = new Map<string, string[]>();
  for (const spec of specs) {
    const words = FIRST_ARGUMENT[spec.positionals[0]?.name ?? ''];
    if (words !== undefined) byWords.set(words, [...(byWords.get(words) ?? []), spec.name]);
  }
  return [...byWords].map(([words, commands]) => [commands, words]);
}

/** The script for the command table `commands` (zonectl's COMMANDS), handed in: the table lists `completion` itself. */
export function renderBashCompletion(commands: readonly Command[]): string {
  const specs = visibleSpecs(commands);
  const optionArms = specs.map((spec): [string[], string] => [[spec.name], `echo ${optionWords(spec).map(quote).join(' ')}`]);
  return `# bash completion for zonectl(8), generated from zonectl's command specs.
# Install as /usr/share/bash-completion/completions/zonectl, or: source <(zonectl completion bash)

_zonectl_commands() {
  echo ${[...firstWords(specs), 'help'].map(quote).join(' ')}
}

# The second words of two-word commands ("nspawn enable").
_zonectl_subcommands() {
  case "$1" in
${caseArms(groupArms(specs), '    ')}
  esac
}

_zonectl_options() {
  case "$1" in
${caseArms(optionArms, '    ')}
  esac
}

# What the value of option $2 of command $1 is: dir, file, network or any; nothing for a flag.
_zonectl_value_kind() {
  case "$1 $2" in
${caseArms(valueArms(specs), '    ')}
  esac
}

# The words the first argument of command $1 can be.
_zonectl_first_argument() {
  case "$1" in
${caseArms(firstArgumentArms(specs), '    ')}
  esac
}

_zonectl_files() {
  if declare -F _filedir >/dev/null; then
    _filedir "$@"
  else
    local IFS=$'\\n'
    COMPREPLY=($(compgen "\${1:--f}" -- "$cur"))
    compopt -o filenames 2>/dev/null
  fi
}

# The "name" of each network configuration in the conf dir (--conf-dir on the line, or the default).
_zonectl_networks() {
  local dir=${quote(DEFAULT_CONF_DIR)} i file
  for ((i = 1; i < \${#words[@]} - 1; i++)); do
    if [[ \${words[i]} == --conf-dir ]]; then
      if [[ \${words[i + 1]} == = ]]; then dir=\${words[i + 2]}; else dir=\${words[i + 1]}; fi
    fi
  done
  for file in "$dir"/*.conflist "$dir"/*.conf; do
    [[ -f $file ]] || continue
    # The list's own "name" comes before its plugins' entries.
    grep -o '"name"[[:space:]]*:[[:space:]]*"[^"]*"' "$file" 2>/dev/null | head -n 1 | sed 's/.*"\\([^"]*\\)"$/\\1/'
  done
}

_zonectl_machines() {
  local path
  for path in /var/lib/machines/* /etc/machines/* /var/lib/machines/*.raw; do
    [[ -e $path ]] || continue
    path=\${path##*/}
    echo "\${path%.raw}"
  done
}

_zonectl() {
  local cur prev words cword
  words=("\${COMP_WORDS[@]}")
  cword=$COMP_CWORD
  cur=\${words[cword]}
  prev=\${words[cword - 1]}
  # "--opt=value": bash splits it at "=" (COMP_WORDBREAKS) into --opt, =, value.
  if [[ $cur == = ]]; then
    prev=\${words[cword - 1]}
    cur=
  elif [[ $prev == = ]]; then
    prev=\${words[cword - 2]}
  fi
  COMPREPLY=()

  if ((cword == 1)); then
    COMPREPLY=($(compgen -W "$(_zonectl_commands) --help --version" -- "$cur"))
    return 0
  fi
  local command=\${words[1]} next=2
  if [[ $command == help ]]; then
    ((cword == 2)) && COMPREPLY=($(compgen -W "$(_zonectl_commands)" -- "$cur"))
    return 0
  fi
  local members
  members=$(_zonectl_subcommands "$command")
  if [[ -n $members ]]; then
    if ((cword == 2)); then
      COMPREPLY=($(compgen -W "$members" -- "$cur"))
      return 0
    fi
    command="$command \${words[2]}"
    next=3
  fi

  case $(_zonectl_value_kind "$command" "$prev") in
    dir) _zonectl_files -d; return 0 ;;
    file) _zonectl_files; return 0 ;;
    network) COMPREPLY=($(compgen -W "$(_zonectl_networks)" -- "$cur")); return 0 ;;
    any) return 0 ;;
  esac

  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$(_zonectl_options "$command")" -- "$cur"))
    return 0
  fi

  # The first argument, when no other argument came before it.
  local i arguments=0
  for ((i = next; i < cword; i++)); do
    [[ \${words[i]} == -* || \${words[i]} == = ]] && continue
    [[ \${words[i - 1]} == = ]] && continue
    [[ -n $(_zonectl_value_kind "$command" "\${words[i - 1]}") ]] && continue
    ((arguments++))
  done
  ((arguments == 0)) && COMPREPLY=($(compgen -W "$(_zonectl_first_argument "$command")" -- "$cur"))
  return 0
}

complete -F _zonectl zonectl
`;
}
