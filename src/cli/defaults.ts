/**
 * Defaults the command definitions show in --help. Kept apart from context.ts so that
 * defining the commands loads no config, store or SSH code (see definitions/).
 */
export const DEFAULT_CONFIG = process.env['DRIFTD_CONFIG'] ?? '/etc/driftd/driftd.yaml';

/** `driftd report --format`. */
export const REPORT_FORMATS = ['html', 'md', 'json'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];
