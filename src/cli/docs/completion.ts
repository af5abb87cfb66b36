/**
 * `driftd completion bash|zsh`: completion scripts generated from the command tree. They
 * complete subcommands, options, option choices (--facet, --format, --fail-on) and file
 * names for file-valued options; node and cluster names are not looked up (no config read).
 */
import { flatten, isPathValue, type CommandSpec, type OptionSpec } from './command-tree.js';

export const SHELLS = ['bash', 'zsh'] as const;
export type Shell = (typeof SHELLS)[number];

/** Single-quoted for sh/bash/zsh: the text cannot end the quote or run anything. */
function sq(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

function optionNames(option: OptionSpec): string[] {
  return [option.short, option.long].filter((name): name is string => name !== null);
}

/** Words after `driftd` that name a command: `"window status"`. */
function key(spec: CommandSpec): string {
  return spec.path.slice(1).join(' ');
}

/** Options that take a value anywhere in the tree: the word after them is a value, never a command. */
function valueOptions(all: readonly CommandSpec[]): string[] {
  return [...new Set(all.flatMap((c) => c.options.filter((o) => o.takesValue).flatMap(optionNames)))].sort();
}

export function bashCompletion(root: CommandSpec): string {
  const all = flatten(root);
  const name = root.path[0] ?? 'driftd';
  const fn = `_${name.replace(/[^A-Za-z0-9_]/g, '_')}_complete`;
  const commandCases = all
    .filter((c) => c.subcommands.length > 0)
    .flatMap((c) => c.subcommands.map((sub) => `      ${sq(key(sub))}) cmd=${sq(key(sub))} ;;`));
  const valueCases = all.flatMap((c) =>
    c.options
      .filter((o) => o.takesValue)
      .map((o) => {
        const words = o.choices.length > 0 ? `COMPREPLY=($(compgen -W ${sq(o.choices.join(' '))} -- "$cur"))` : null;
        const action = words ?? (isPathValue(o.valueName) ? 'COMPREPLY=($(compgen -f -- "$cur"))' : 'COMPREPLY=()');
        return `    ${sq(key(c))}:${optionNames(o)
          .map(sq)
          .join(`|${sq(key(c))}:`)}) ${action}; return ;;`;
      }),
  );
  const wordCases = all.map((c) => {
    const words = [...c.subcommands.map((s) => s.path.at(-1) ?? ''), ...c.options.flatMap(optionNames)];
    const choices = c.arguments[0]?.choices ?? [];
    return `    ${sq(key(c))}) words=${sq([...words, ...choices].join(' '))} ;;`;
  });
  return `# bash completion for ${name}, generated from its command definitions by \`${name} completion bash\`.
# Load it in ~/.bashrc with: source <(${name} completion bash)
# or install it: ${name} completion bash > /usr/share/bash-completion/completions/${name}
${fn}() {
  local cur prev cmd="" words i w skip=0
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  # The command path so far: words naming a subcommand, skipping options and their values.
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    if ((skip)); then skip=0; continue; fi
    case "$w" in
      ${valueOptions(all).map(sq).join('|') || "''"}) skip=1; continue ;;
      -*) continue ;;
    esac
    case "\${cmd:+$cmd }$w" in
${commandCases.join('\n')}
    esac
  done
  case "$cmd:$prev" in
${valueCases.join('\n')}
  esac
  case "$cmd" in
${wordCases.join('\n')}
    *) words="" ;;
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o default -F ${fn} ${name}
`;
}

/** `[`, `]`, `:` and `\\` are special in _arguments specs; single quotes are handled by sq(). */
function zshSpecText(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/([[\]:])/g, '\\$1');
}

function zshOptionSpecs(option: OptionSpec): string[] {
  const names = optionNames(option);
  const description = zshSpecText(option.description);
  const value = !option.takesValue
    ? ''
    : option.choices.length > 0
      ? `:${zshSpecText(option.valueName ?? 'value')}:(${option.choices.join(' ')})`
      : isPathValue(option.valueName)
        ? `:${zshSpecText(option.valueName ?? 'file')}:_files`
        : `:${zshSpecText(option.valueName ?? 'value')}: `;
  return names.map((n) => sq(`${n}[${description}]${value}`));
}

export function zshCompletion(root: CommandSpec): string {
  const all = flatten(root);
  const name = root.path[0] ?? 'driftd';
  const fn = `_${name.replace(/[^A-Za-z0-9_]/g, '_')}`;
  const valueOpts = valueOptions(all);
  const commandCases = all
    .filter((c) => c.subcommands.length > 0)
    .flatMap((c) => c.subcommands.map((sub) => `      (${sq(key(sub))}) cmd=${sq(key(sub))} ;;`));
  const cases = all.map((c) => {
    const commands = c.subcommands.map((s) => sq(`${zshSpecText(s.path.at(-1) ?? '')}:${s.summary.replace(/\\/g, '\\\\')}`));
    const options = c.options.flatMap(zshOptionSpecs);
    const first = c.arguments[0];
    const positional = first?.choices.length ? [sq(`1:${zshSpecText(first.name)}:(${first.choices.join(' ')})`)] : [];
    return `    (${sq(key(c))})
      commands=(${commands.join(' ')})
      options=(${[...options, ...positional].join(' ')}) ;;`;
  });
  return `#compdef ${name}
# zsh completion for ${name}, generated from its command definitions by \`${name} completion zsh\`.
# Install it as _${name} in a directory of $fpath, e.g.
#   ${name} completion zsh > "\${fpath[1]}/_${name}"   (then: autoload -U compinit && compinit)
# or load it in ~/.zshrc after compinit with: source <(${name} completion zsh)
${fn}() {
  local cmd="" w i skip=0
  local -a commands options
  # The command path so far: words naming a subcommand, skipping options and their values.
  for ((i = 2; i < CURRENT; i++)); do
    w=\${words[i]}
    if ((skip)); then skip=0; continue; fi
    case $w in
      (${valueOpts.map(sq).join('|') || "''"}) skip=1; continue ;;
      (-*) continue ;;
    esac
    case "\${cmd:+$cmd }$w" in
${commandCases.join('\n')}
    esac
  done
  case $cmd in
${cases.join('\n')}
  esac
  if (( \${#commands} )) && [[ \${words[CURRENT]} != -* ]]; then
    _describe -t commands "${name} \${cmd:+$cmd }command" commands
  else
    _arguments -s -S $options '*:file:_files'
  fi
}
if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
  ${fn} "$@"
else
  compdef ${fn} ${name}
fi
`;
}

export function completionScript(shell: Shell, root: CommandSpec): string {
  return shell === 'bash' ? bashCompletion(root) : zshCompletion(root);
}
