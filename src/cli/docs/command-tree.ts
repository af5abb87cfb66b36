/**
 * The command definitions as plain data, read from the same commander tree that parses the
 * command line: shell completion and the man page are generated from it, so neither can
 * drift from the real options.
 */
import { Help, type Command, type Option } from 'commander';

export interface OptionSpec {
  /** `-c, --config <file>` as declared. */
  flags: string;
  short: string | null;
  long: string | null;
  description: string;
  /** Takes a value (`<x>` or `[x]`). */
  takesValue: boolean;
  /** The value's placeholder name (`file`, `facet`), or null. */
  valueName: string | null;
  choices: readonly string[];
  /** The help text with default and choices, as `--help` shows it. */
  help: string;
}

export interface ArgumentSpec {
  name: string;
  description: string;
  required: boolean;
  variadic: boolean;
  choices: readonly string[];
}

export interface CommandSpec {
  /** `["driftd", "window", "status"]`. */
  path: readonly string[];
  summary: string;
  usage: string;
  options: readonly OptionSpec[];
  arguments: readonly ArgumentSpec[];
  subcommands: readonly CommandSpec[];
}

const help = new Help();

function optionSpec(option: Option): OptionSpec {
  const takesValue = option.required || option.optional;
  const valueName = takesValue ? (/[<[]([^>\]]+)[>\]]/.exec(option.flags)?.[1] ?? 'value') : null;
  return {
    flags: option.flags,
    short: option.short ?? null,
    long: option.long ?? null,
    description: option.description,
    takesValue,
    valueName,
    choices: option.argChoices ?? [],
    help: help.optionDescription(option),
  };
}

/** The whole tree below `command` (hidden commands and options left out, as --help does). */
export function commandTree(command: Command, parents: readonly string[] = []): CommandSpec {
  const path = [...parents, command.name()];
  return {
    path,
    summary: command.description(),
    usage: command.usage(),
    options: help.visibleOptions(command).map(optionSpec),
    arguments: help.visibleArguments(command).map((a) => ({
      name: a.name(),
      description: a.description,
      required: a.required,
      variadic: a.variadic,
      choices: a.argChoices ?? [],
    })),
    subcommands: help
      .visibleCommands(command)
      .filter((sub) => sub.name() !== 'help')
      .map((sub) => commandTree(sub, path)),
  };
}

/** Every command of the tree, depth first, the root first. */
export function flatten(spec: CommandSpec): CommandSpec[] {
  return [spec, ...spec.subcommands.flatMap(flatten)];
}

/** True when a value placeholder names a file or directory (completed with file names). */
export function isPathValue(valueName: string | null): boolean {
  return valueName !== null && /^(file|dir|directory|path|paths)$/i.test(valueName);
}
