/**
 * Defaults the command definitions show in --help. Kept apart from context.ts so that
 * defining the commands loads no config, store or SSH code (see definitions/).
 */
/** Where the config is looked for when neither --config nor DRIFTD_CONFIG says. */
export const FALLBACK_CONFIG = '/etc/driftd/driftd.yaml';
export const DEFAULT_CONFIG = process.env['DRIFTD_CONFIG'] ?? FALLBACK_CONFIG;

/** `driftd report --format`. */
export const REPORT_FORMATS = ['html', 'md', 'json'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];
