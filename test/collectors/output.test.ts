/**
 * The one judgement of a command's output (src/collectors/output.ts) and the one place a
 * facet becomes truncated or fails on a command that did not finish. Stderr texts are the
 * tools' real wording (cat, dash, sudo, drbdadm); the drbdadm include line is hand-made
 * from drbd-utils' format string (`%s:%d: Failed to open include file '%s'.`).
 */
import { describe, expect, it } from 'vitest';
import { assembleSnapshot } from '../../src/collect/assemble.js';
import type { CommandOutput } from '../../src/collectors/collector.js';
import { DEFAULT_COLLECTOR_CONTEXT } from '../../src/collectors/collector.js';
import { DRBD_ADJUST_COMMAND, DRBD_DUMP_COMMAND, DRBD_KERNEL_COMMAND, DRBD_USERLAND_COMMAND } from '../../src/collectors/drbd.js';
import { judgeOutput, markTruncated, settleFacet, type OutputVerdict } from '../../src/collectors/output.js';
import { PACKAGES_COMMAND_ID } from '../../src/collectors/packages.js';
import { collectorsFor } from '../../src/collectors/registry.js';
import type { CommandResult } from '../../src/core/command.js';
import { failed, fixtureOutput, ok } from './fixture-outputs.js';

const judge = (out: CommandOutput | undefined, unsupportedWhen?: RegExp): OutputVerdict =>
  judgeOutput(out ? { x: out } : {}, 'x', unsupportedWhen ? { unsupportedWhen } : {});

describe('judgeOutput: one verdict per command output', () => {
  it.each<[string, CommandOutput | undefined, Pick<OutputVerdict, 'kind'> & { message?: string }]>([
    ['no output recorded', undefined, { kind: 'absent', message: 'x: no output recorded' }],
    ['exit 0', ok('a\n'), { kind: 'ok' }],
    [
      'our script says unsupported (exit 3)',
      failed(3, 'driftd: unsupported: no /etc/drbd.conf\n'),
      { kind: 'unsupported', message: 'x: no /etc/drbd.conf' },
    ],
    [
      'the shell cannot find the tool (exit 127)',
      failed(127, 'sh: 1: /usr/sbin/corosync-cmapctl: not found\n'),
      { kind: 'unsupported', message: 'x: sh: 1: /usr/sbin/corosync-cmapctl: not found' },
    ],
    ['sudo cannot find the tool (exit 1)', failed(1, 'sudo: /usr/sbin/corosync-cmapctl: command not found\n'), { kind: 'unsupported' }],
    [
      'a local spawn of a missing program',
      { ...failed(-2, ''), exitCode: null, error: 'spawn /bin/nope ENOENT' },
      { kind: 'unsupported', message: 'x: spawn /bin/nope ENOENT' },
    ],
    [
      'cat: the file read is absent',
      failed(1, '/bin/cat: /proc/modules: No such file or directory\n'),
      { kind: 'unsupported', message: 'x: /bin/cat: /proc/modules: No such file or directory' },
    ],
    [
      'cat: permission denied is a failure',
      failed(1, 'cat: /var/lib/pacemaker/cib/cib.xml: Permission denied\n'),
      { kind: 'failed', message: 'x: exit 1: cat: /var/lib/pacemaker/cib/cib.xml: Permission denied' },
    ],
    [
      'drbdadm missing an include file is a broken configuration, not an absent tool',
      failed(10, "driftd: source=drbdadm\n/etc/drbd.conf:2: Failed to open include file 'drbd.d/erp.res'.\n"),
      { kind: 'failed', message: "x: exit 10: /etc/drbd.conf:2: Failed to open include file 'drbd.d/erp.res'." },
    ],
    [
      'another tool naming a missing file is a failure too (only cat reading our file means absent)',
      failed(1, 'drbdadm: /etc/drbd.d/global_common.conf: No such file or directory\n'),
      { kind: 'failed', message: 'x: exit 1: drbdadm: /etc/drbd.d/global_common.conf: No such file or directory' },
    ],
    [
      'a command that did not finish',
      { ...ok(''), exitCode: null, error: 'timeout after 4s' },
      { kind: 'failed', message: 'x: did not finish: timeout after 4s' },
    ],
    ['a failure with nothing on stderr names stdout', failed(2, '', 'usage: x\n'), { kind: 'failed', message: 'x: exit 2: usage: x' }],
    ['a failure that says nothing', failed(2, ''), { kind: 'failed', message: 'x: exit 2: no message' }],
    [
      'cut at a cap the collect layer names',
      { ...ok('a\nb'), exitCode: null, truncated: true, cap: 'its fixed cap of 1 KiB (set in driftd)' },
      { kind: 'truncated', message: 'x exceeded its fixed cap of 1 KiB (set in driftd)' },
    ],
    ['cut with no cap named (a recording)', { ...ok('a\nb'), truncated: true }, { kind: 'truncated', message: 'x: output truncated' }],
  ])('%s', (_name, out, expected) => {
    expect(judge(out)).toMatchObject({ id: 'x', ...expected });
  });

  it("a collector's own stderr pattern means unsupported, only when the command failed", () => {
    const noSystemd = /System has not been booted with systemd/;
    expect(judge(failed(1, 'System has not been booted with systemd as init system (PID 1).\n'), noSystemd).kind).toBe('unsupported');
    expect(judge(failed(1, 'Failed to list unit files: Access denied\n'), noSystemd).kind).toBe('failed');
    expect(judge({ ...ok('a.service enabled\n'), stderr: 'System has not been booted with systemd\n' }, noSystemd).kind).toBe('ok');
  });
});

describe('settleFacet: a facet against all of its commands', () => {
  const okFacet = { status: 'ok' as const, items: { a: { value: '1' } } };

  it('a cut output of any command makes the facet truncated, naming each cut command', () => {
    const facet = settleFacet(okFacet, { main: ok('a\n'), extra: { ...ok('b'), truncated: true, cap: 'its fixed cap of 1 KiB' } });
    expect(facet).toEqual({ ...okFacet, status: 'truncated', error: 'extra exceeded its fixed cap of 1 KiB' });
    expect(settleFacet(facet, { extra: { ...ok('b'), truncated: true } })).toBe(facet);
  });

  it('a command that did not finish fails a facet that looks ok; an error stays as it was', () => {
    const timedOut = { ...ok(''), exitCode: null, error: 'timeout after 4s' };
    expect(settleFacet(okFacet, { main: ok('a\n'), extra: timedOut })).toEqual({
      ...okFacet,
      status: 'error',
      error: 'command failed: extra: timeout after 4s',
    });
    const broken = { status: 'error' as const, items: {}, error: 'main: exit 1: no' };
    expect(settleFacet(broken, { main: { ...ok('b'), truncated: true }, extra: timedOut })).toBe(broken);
  });

  it('markTruncated: an error stays an error and gains the reason; anything else is truncated', () => {
    expect(markTruncated({ status: 'error', items: {}, error: 'e' }, 'cut')).toEqual({ status: 'error', items: {}, error: 'e; cut' });
    expect(markTruncated({ status: 'unsupported', items: {}, error: 'u' }, 'cut').status).toBe('truncated');
  });
});

describe('assembleSnapshot supplies the cap; the verdict words it', () => {
  const result = (id: string, out: CommandOutput): CommandResult => ({ id, durationMs: 1, ...out });
  const assemble = (facets: Parameters<typeof collectorsFor>[0], results: CommandResult[]) =>
    assembleSnapshot({
      cluster: 'c',
      node: 'n',
      takenAt: 't',
      collectors: collectorsFor(facets),
      context: DEFAULT_COLLECTOR_CONTEXT,
      results,
    });

  it('a cut package list names its fixed cap and where it is set', () => {
    const snap = assemble(
      ['packages'],
      [result(PACKAGES_COMMAND_ID, { ...ok('ii \ta\t1.0\tamd64\nii \tb\t2.'), exitCode: null, truncated: true })],
    );
    expect(snap.facets.packages).toMatchObject({
      status: 'truncated',
      items: { a: { value: '1.0' } },
      error: 'packages-query exceeded its fixed cap of 16 MiB (set in driftd, src/collectors/packages.ts; not configurable)',
    });
  });

  it('a cut optional command (drbd adjust) makes the facet truncated, naming ssh.maxOutputBytes', () => {
    const dir = 'demo/erp-a';
    const results = [DRBD_DUMP_COMMAND, DRBD_KERNEL_COMMAND, DRBD_USERLAND_COMMAND].map((id) =>
      result(id, fixtureOutput(dir, id) ?? ok('')),
    );
    results.push(result(DRBD_ADJUST_COMMAND, { ...ok('driftd-drbd-adjust: r0\n'), truncated: true }));
    const facet = assemble(['drbd'], results).facets.drbd;
    expect(facet?.status).toBe('truncated');
    expect(facet?.error).toBe(`${DRBD_ADJUST_COMMAND} exceeded the per-command cap ssh.maxOutputBytes (config; default 32 MiB)`);
  });

  it('a command the batch returned no result for fails its facet', () => {
    const facet = assemble(['packages'], []).facets.packages;
    expect(facet).toMatchObject({ status: 'error', error: `${PACKAGES_COMMAND_ID}: did not finish: no result` });
  });
});
