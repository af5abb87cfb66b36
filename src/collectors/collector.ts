/**
 * One facet = one collector: the commands it runs and a pure parser of their output.
 * Modelled on node_exporter's collectors (see STYLE.md): small, independent, each
 * listed once in registry.ts with its own default on/off.
 */
import type { FacetName, FacetSnapshot } from '../core/snapshot.js';
import type { CommandSpec } from '../core/command.js';

/** What a collector may know about the node it is asked to collect. */
export interface CollectorContext {
  /** Absolute paths or globs from the cluster's `files:` list. */
  files: string[];
  /** Extra sysctl keys (globs) to drop, on top of the shipped volatile deny-list. */
  sysctlDeny: string[];
  /** When non-empty, only these sysctl keys (globs) are kept. */
  sysctlAllow: string[];
  /** Cap for file content kept for diffs, in bytes. */
  fileContentMaxBytes: number;
  /** Accounts (users) the site names: resolved through NSS on every node, compared as `named.user.<name>`. */
  usersAccounts?: string[];
  /** Groups the site names: resolved through NSS, compared as `named.group.<name>` with their members. */
  usersGroups?: string[];
}

/** The raw outputs of a collector's commands, by CommandSpec id. */
export interface CommandOutput {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  truncated: boolean;
  error?: string;
  /** When truncated: which cap cut it and where that cap is set (supplied by src/collect/assemble.ts). */
  cap?: string;
}

export interface Collector {
  readonly name: FacetName;
  /**
   * Where the facet reads from, in README's words: the "source" cell of its row in the
   * README "Facets" table (test/collectors/readme-facets.test.ts keeps the two equal).
   */
  readonly description: string;
  readonly defaultEnabled: boolean;
  /** Read-only commands; ids must be unique across all collectors (prefix with the facet). */
  commands(ctx: CollectorContext): CommandSpec[];
  /**
   * Pure. Never throws: a failure is a facet with status `error` and a message that
   * names the command and line; a missing tool or file is `unsupported` with the reason.
   */
  parse(outputs: Readonly<Record<string, CommandOutput>>, ctx: CollectorContext): FacetSnapshot;
}

export const DEFAULT_COLLECTOR_CONTEXT: CollectorContext = {
  files: [],
  sysctlDeny: [],
  sysctlAllow: [],
  fileContentMaxBytes: 64 * 1024,
};
