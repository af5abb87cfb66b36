/**
 * The parser of `crm_simulate --simulate --output-as=xml`, on a real output (Pacemaker
 * 2.1.5, fixtures/cluster/README.md) and on anything else: it never throws.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseSimulation } from '../../src/simulate/parse-output.js';
import { FIXTURES } from '../collectors/fixture-outputs.js';

const REAL = readFileSync(join(FIXTURES, 'cluster', 'pacemaker', 'crm_simulate-2.1.5-demo-fail-erp-a-output.xml'), 'utf8');

describe('crm_simulate output parser', () => {
  it('reads where each resource runs before and after erp-a fails (real output, Pacemaker 2.1.5)', () => {
    const parsed = parseSimulation(REAL);
    if (!parsed.ok) throw new Error(parsed.error);
    const { before, after, fencing, actions } = parsed.outcome;
    expect(before.nodes.map((n) => [n.name, n.online])).toEqual([
      ['erp-a', true],
      ['erp-b', true],
      ['erp-c', true],
    ]);
    expect(after.nodes.find((n) => n.name === 'erp-a')?.online).toBe(false);
    const where = (state: typeof before, key: string): string[] =>
      (state.resources.find((r) => r.key === key)?.placements ?? []).map((p) => `${p.node}:${p.role}`);
    expect(where(before, 'drbd-erpdata-clone/drbd-erpdata')).toEqual(['erp-a:Promoted', 'erp-b:Unpromoted', 'erp-c:Unpromoted']);
    expect(where(after, 'drbd-erpdata-clone/drbd-erpdata')).toEqual(['erp-b:Unpromoted', 'erp-c:Promoted']);
    expect(after.resources.find((r) => r.key === 'drbd-erpdata-clone/drbd-erpdata')?.stopped).toBe(1);
    expect(where(before, 'erp-fs')).toEqual(['erp-a:Started']);
    expect(where(after, 'erp-fs')).toEqual(['erp-c:Started']);
    expect(after.resources.find((r) => r.key === 'erp-ip')).toMatchObject({
      group: 'erp-group',
      agent: 'ocf:heartbeat:IPaddr2',
      managed: true,
    });
    expect(fencing).toEqual([{ node: 'erp-a', task: 'Fence (reboot)' }]);
    expect(actions).toEqual([
      { action: 'stop', resource: 'drbd-erpdata:0', node: 'erp-a', reason: 'node availability' },
      { action: 'promote', resource: 'drbd-erpdata:2', source: 'erp-c' },
      { action: 'move', resource: 'erp-fs', source: 'erp-a', dest: 'erp-c' },
      { action: 'move', resource: 'erp-ip', source: 'erp-a', dest: 'erp-c' },
    ]);
  });

  it('says what is missing instead of guessing', () => {
    expect(parseSimulation('')).toMatchObject({ ok: false, error: expect.stringContaining('not XML') });
    expect(parseSimulation('<cib/>')).toMatchObject({ ok: false, error: expect.stringContaining('<pacemaker-result>') });
    const noRevised = REAL.replace(/<revised_cluster_status>[\s\S]*<\/revised_cluster_status>/, '');
    expect(parseSimulation(noRevised)).toMatchObject({ ok: false, error: expect.stringContaining('--simulate') });
    const failed = '<pacemaker-result api-version="2.25"><status code="105" message="Unable to parse CIB"/></pacemaker-result>';
    expect(parseSimulation(failed)).toEqual({ ok: false, error: 'crm_simulate failed: Unable to parse CIB (code 105)' });
    const noId = REAL.replace('<resource id="erp-fs"', '<resource');
    expect(parseSimulation(noId)).toMatchObject({ ok: false, error: expect.stringMatching(/has no id/) });
  });

  it('never throws: random text, cut or spliced real output, element soup', () => {
    const soup = fc
      .array(
        fc.constantFrom(
          '<pacemaker-result>',
          '</pacemaker-result>',
          '<cluster_status>',
          '</cluster_status>',
          '<revised_cluster_status>',
          '</revised_cluster_status>',
          '<resources>',
          '</resources>',
          '<clone id="c">',
          '</clone>',
          '<bundle id="b">',
          '</bundle>',
          '<replica id="0">',
          '</replica>',
          '<group id="g:0">',
          '</group>',
          '<resource id="r:1" role="Master">',
          '<resource>',
          '</resource>',
          '<node name="n"/>',
          '<nodes>',
          '</nodes>',
          '<status code="1"/>',
          '<actions><node_action task="Fence (off)"/></actions>',
        ),
        { maxLength: 30 },
      )
      .map((parts) => parts.join(''));
    const cut = fc
      .tuple(fc.nat(REAL.length), fc.nat(REAL.length), fc.string())
      .map(([a, b, s]) => REAL.slice(0, Math.min(a, b)) + s + REAL.slice(Math.max(a, b)));
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), soup, cut), (text) => {
        const parsed = parseSimulation(text);
        expect(typeof parsed.ok).toBe('boolean');
        if (!parsed.ok) expect(parsed.error).toMatch(/crm_simulate/);
      }),
      { numRuns: 200 },
    );
  });
});
