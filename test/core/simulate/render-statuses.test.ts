/**
 * The failover lines of `driftd check` text: one line per node; reasons said once when no
 * node could be simulated for the same reasons, and wrapped by the caller.
 */
import { describe, expect, it } from 'vitest';
import { renderFailoverStatuses } from '../../../src/core/simulate/render.js';

const noStatus = 'no CIB with a status section was collected';

describe('renderFailoverStatuses', () => {
  it('the same reasons for every node are said once', () => {
    const lines = renderFailoverStatuses([
      { node: 'erp-a', verdict: 'unknown', reasons: [noStatus] },
      { node: 'erp-b', verdict: 'unknown', reasons: [noStatus] },
    ]);
    expect(lines).toEqual([
      '',
      "If a node fails now (Pacemaker's scheduler on the collected CIB):",
      '  cannot tell for any node (erp-a, erp-b):',
      `      - ${noStatus}`,
    ]);
  });

  it('mixed verdicts keep one line per node, reasons under the unknown ones, laid out by the caller', () => {
    const lines = renderFailoverStatuses(
      [
        { node: 'erp-a', verdict: 'safe', reasons: [] },
        { node: 'erp-b', verdict: 'unsafe', reasons: ['erp-ip would stop'] },
        { node: 'erp-c', verdict: 'unknown', reasons: ['crm_simulate timed out after 30s'] },
      ],
      (reason) => [`>> ${reason}`],
    );
    expect(lines.slice(2)).toEqual([
      '  erp-a  safe',
      '  erp-b  NOT SAFE (see the failover findings)',
      '  erp-c  cannot tell',
      '>> crm_simulate timed out after 30s',
    ]);
  });
});
