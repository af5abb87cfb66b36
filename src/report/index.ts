/** Audit reports: the model (pure), its renderers, and the store edge. */
export { buildAuditReport, formatDuration, notReadyIntervals, parityMatrix, waiversInForce, type AuditReportInput } from './model.js';
export { AuditReportSchema, AUDIT_REPORT_SCHEMA_ID, type AuditReport } from './schema.js';
export { renderAuditHtml, REPORT_HTML_CSP } from './html.js';
export { renderAuditMarkdown } from './markdown.js';
export { readinessChartSvg } from './svg-chart.js';
export {
  auditReportFromStore,
  renderClusterReportHtml,
  DEFAULT_REPORT_DAYS,
  type ReportRequest,
  type ClusterReportOptions,
} from './from-store.js';
