/** The report's default period, apart from the report code so the CLI's --help can show it cheaply. */
export const DEFAULT_REPORT_DAYS = 30;
