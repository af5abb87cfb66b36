/**
 * How the packages facet marks a package that dpkg left unfinished on a node (unpacked,
 * half-configured, ...): a meta entry `unfinished:<item key>` whose value is dpkg's state.
 * Shared by the collector that writes it and the precondition that reads it.
 */
export const UNFINISHED_META_PREFIX = 'unfinished:';
