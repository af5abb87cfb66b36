import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recordResults } from '../../src/transports/record.js';
import { ReplayTransport } from '../../src/transports/replay.js';
import { TransportError, type CommandResult } from '../../src/transports/transport.js';

let dir = '';
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'driftd-replay-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const replay = async (ids: string[]): Promise<CommandResult[]> => {
  const transport = new ReplayTransport({ node: 'rec', dir });
  await transport.open();
  return transport.run(ids.map((id) => ({ id, argv: ['/bin/true'] })));
};

describe('ReplayTransport (hand-made recordings)', () => {
  it.each([
    ['stdout only', { 'a.txt': 'out' }, { stdout: 'out', stderr: '', exitCode: 0, truncated: false }],
    [
      'all files',
      { 'a.txt': 'o', 'a.stderr': 'e', 'a.exit': '3\n', 'a.truncated': '' },
      { stdout: 'o', stderr: 'e', exitCode: 3, truncated: true },
    ],
    ['exit only', { 'a.exit': '1' }, { stdout: '', exitCode: 1 }],
    ['not recorded', {}, { stdout: '', stderr: 'not recorded', exitCode: 127 }],
    ['timed out', { 'a.txt': 'part', 'a.error': 'timeout after 60s\n' }, { stdout: 'part', exitCode: null, error: 'timeout after 60s' }],
    ['bad exit file', { 'a.txt': '', 'a.exit': 'zero' }, { exitCode: null, error: expect.stringContaining('not an exit code') }],
  ])('%s', async (_label, files: Record<string, string>, expected) => {
    for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
    const [result] = await replay(['a']);
    expect(result).toMatchObject({ id: 'a', ...expected });
  });

  it('refuses an id that would escape the directory', async () => {
    const [result] = await replay(['../etc/passwd']);
    expect(result?.error).toMatch(/cannot name a recording file/);
  });

  it('a missing directory is replay-missing', async () => {
    const transport = new ReplayTransport({ node: 'rec', dir: join(dir, 'nope') });
    await expect(transport.open()).rejects.toMatchObject({ name: 'TransportError', code: 'replay-missing' });
  });
});

describe('recordResults -> ReplayTransport', () => {
  it('round-trips arbitrary results (property)', async () => {
    const result = fc.record({
      stdout: fc.string({ unit: 'binary' }),
      stderr: fc.string({ unit: 'binary' }),
      exitCode: fc.option(fc.integer({ min: 0, max: 255 })),
      truncated: fc.boolean(),
      error: fc.option(fc.stringMatching(/^[a-z][a-z 0-9]{0,20}[a-z0-9]$/), { nil: undefined }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(result, { maxLength: 5 }), async (drafts) => {
        // A null exit code only happens with an error; the format keys on that.
        const results: CommandResult[] = drafts.map((d, i) => ({
          id: `facet.cmd-${i}`,
          durationMs: 0,
          ...d,
          ...(d.exitCode === null && d.error === undefined ? { error: 'cut' } : {}),
        }));
        await recordResults(dir, results);
        const replayed = await replay(results.map((r) => r.id));
        expect(replayed).toEqual(results.map((r) => (r.error === undefined ? (({ error: _e, ...rest }) => rest)(r) : r)));
      }),
      { numRuns: 30 },
    );
  });

  it('re-recording drops stale files of the previous run', async () => {
    await recordResults(dir, [{ id: 'x', exitCode: 2, stdout: 'a', stderr: 'b', truncated: true, durationMs: 1, error: 'cut' }]);
    await recordResults(dir, [{ id: 'x', exitCode: 0, stdout: 'a', stderr: '', truncated: false, durationMs: 1 }]);
    expect(readdirSync(dir)).toEqual(['x.txt']);
  });

  it('refuses to record an id that cannot be a file name', async () => {
    await expect(recordResults(dir, [{ id: 'a/b', exitCode: 0, stdout: '', stderr: '', truncated: false, durationMs: 0 }])).rejects.toThrow(
      TransportError,
    );
  });
});
