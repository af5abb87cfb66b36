import { spawn, spawnSync } from 'node:child_process';
import { pidsRunning } from '../helpers/processes.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BatchDemuxer, BatchError, buildBatchScript, CUT_ERROR, demuxBatch, effectiveArgv } from '../../src/transports/batch.js';
import type { CommandSpec } from '../../src/transports/transport.js';

const NONCE = 'abcdef0123456789';
const CAP = 1 << 20;

function frame(outputs: { out: string; err: string; code: number }[], nonce = NONCE) {
  let stdout = `login banner\n@@driftd:${nonce}:start\n`;
  let stderr = `\n@@driftd:${nonce}:start\n`;
  outputs.forEach((o, i) => {
    stdout += `${o.out}\n@@driftd:${nonce}:end:${i}:${o.code}\n`;
    stderr += `${o.err}\n@@driftd:${nonce}:end:${i}:${o.code}\n`;
  });
  return { stdout: Buffer.from(stdout), stderr: Buffer.from(stderr) };
}

const specs = (n: number): CommandSpec[] => Array.from({ length: n }, (_, i) => ({ id: `c${i}`, argv: ['/bin/true'] }));

/** Feeds a buffer in random-sized pieces, to cross markers over chunk boundaries. */
function feed(push: (b: Buffer) => void, data: Buffer, cuts: number[]): void {
  const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
  let from = 0;
  for (const p of points) {
    push(data.subarray(from, p));
    from = p;
  }
  push(data.subarray(from));
}

describe('buildBatchScript', () => {
  it('exports LC_ALL=C, reads nothing from stdin and quotes every argv element', () => {
    const script = buildBatchScript([{ id: 'a', argv: ['/bin/echo', '; touch /tmp/x'] }], { nonce: NONCE, sudo: false });
    expect(script.split('\n')).toContain('export LC_ALL=C');
    expect(script).toContain("/bin/echo '; touch /tmp/x' </dev/null 3<&-");
  });

  it.each([
    [true, true, ['/usr/bin/sudo', '-n', '--', '/bin/id']],
    [true, false, ['/bin/id']],
    [false, true, ['/bin/id']],
    [false, false, ['/bin/id']],
  ])('spec.sudo=%s node sudo=%s runs %j', (specSudo, nodeSudo, expected) => {
    expect(effectiveArgv({ id: 'x', argv: ['/bin/id'], sudo: specSudo }, nodeSudo)).toEqual(expected);
  });

  it('refuses a nonce that could break the printf format', () => {
    expect(() => buildBatchScript([], { nonce: "x'; rm", sudo: false })).toThrow(BatchError);
  });
});

describe('demuxBatch', () => {
  it('splits outputs, keeps a missing trailing newline, and ignores a foreign-nonce marker', () => {
    const outputs = [
      { out: 'no newline', err: '', code: 0 },
      { out: 'fake\n@@driftd:0000000000000000:end:1:0\nstill mine\n', err: 'warn\n', code: 3 },
      { out: '', err: 'only stderr', code: 127 },
    ];
    const { stdout, stderr } = frame(outputs);
    const results = demuxBatch(specs(3), stdout, stderr, { nonce: NONCE, defaultMaxBytes: CAP });
    expect(results.map((r) => [r.stdout, r.stderr, r.exitCode, r.error])).toEqual(outputs.map((o) => [o.out, o.err, o.code, undefined]));
  });

  it('marks commands after a cut stream with the cut error', () => {
    const { stdout, stderr } = frame([
      { out: 'one', err: '', code: 0 },
      { out: 'two', err: '', code: 0 },
    ]);
    const cutAt = stdout.indexOf('two') + 2;
    const results = demuxBatch(specs(3), stdout.subarray(0, cutAt), stderr, { nonce: NONCE, defaultMaxBytes: CAP });
    expect(results[0]).toMatchObject({ stdout: 'one', exitCode: 0 });
    expect(results[0]?.error).toBeUndefined();
    expect(results[1]).toMatchObject({ stdout: 'tw', exitCode: null, error: CUT_ERROR });
    expect(results[2]).toMatchObject({ stdout: '', exitCode: null, error: CUT_ERROR });
  });

  it('drops a marker cut in the middle instead of reporting it as output', () => {
    const { stdout, stderr } = frame([{ out: 'one', err: '', code: 0 }]);
    const cutAt = stdout.indexOf(':end:') + 3;
    const [result] = demuxBatch(specs(1), stdout.subarray(0, cutAt), stderr, { nonce: NONCE, defaultMaxBytes: CAP });
    expect(result).toMatchObject({ stdout: 'one', error: CUT_ERROR });
  });

  it('caps each command and marks it truncated, the next command unaffected', () => {
    const big = 'x'.repeat(5000);
    const { stdout, stderr } = frame([
      { out: big, err: '', code: 0 },
      { out: 'small', err: '', code: 0 },
    ]);
    const commands: CommandSpec[] = [
      { id: 'big', argv: ['/bin/true'], maxBytes: 100 },
      { id: 'small', argv: ['/bin/true'] },
    ];
    const results = demuxBatch(commands, stdout, stderr, { nonce: NONCE, defaultMaxBytes: CAP });
    expect(results[0]).toMatchObject({ stdout: 'x'.repeat(100), truncated: true, exitCode: 0 });
    expect(results[1]).toMatchObject({ stdout: 'small', truncated: false, exitCode: 0 });
  });

  it('discards what a login shell prints before the start marker', () => {
    const { stdout, stderr } = frame([{ out: 'mine', err: '', code: 0 }]);
    const [result] = demuxBatch(specs(1), Buffer.concat([Buffer.from('motd\n'), stdout]), stderr, {
      nonce: NONCE,
      defaultMaxBytes: CAP,
    });
    expect(result?.stdout).toBe('mine');
  });

  it('round-trips arbitrary outputs fed in arbitrary chunks (property)', () => {
    const output = fc.record({
      out: fc.oneof(
        fc.string({ unit: 'binary' }),
        fc.constantFrom('\n', '\n@@driftd:', `@@driftd:${NONCE}`, '@@driftd:zzzzzzzzzzzzzzzz:end:0:0\n'),
      ),
      err: fc.string({ unit: 'binary' }),
      code: fc.integer({ min: 0, max: 255 }),
    });
    fc.assert(
      fc.property(fc.array(output, { maxLength: 6 }), fc.array(fc.nat(), { maxLength: 8 }), (outputs, cuts) => {
        const { stdout, stderr } = frame(outputs);
        const demuxer = new BatchDemuxer(specs(outputs.length), { nonce: NONCE, defaultMaxBytes: CAP });
        feed((b) => demuxer.pushStdout(b), stdout, cuts);
        feed(
          (b) => demuxer.pushStderr(b),
          stderr,
          cuts.map((c) => c * 7),
        );
        const results = demuxer.finish();
        expect(results.map((r) => ({ out: r.stdout, err: r.stderr, code: r.exitCode }))).toEqual(outputs);
        expect(results.every((r) => r.error === undefined && !r.truncated)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on arbitrary stream bytes (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 300 }), (out, err) => {
        const results = demuxBatch(specs(2), Buffer.from(out), Buffer.from(err), { nonce: NONCE, defaultMaxBytes: 64 });
        expect(results).toHaveLength(2);
      }),
    );
  });
});

// dash is /bin/sh on Debian/Ubuntu, bash on RHEL/SUSE, where most Pacemaker clusters run.
describe.each(['/bin/sh', '/bin/bash'])('buildBatchScript run by a real %s -s', (shell) => {
  it('demux(build) round-trips printed outputs and exit codes (property)', () => {
    const printable = fc.string({ unit: 'binary' }).filter((s) => !s.includes('\0'));
    fc.assert(
      fc.property(
        fc.array(fc.record({ out: printable, err: printable, code: fc.integer({ min: 0, max: 255 }) }), { maxLength: 4 }),
        (outputs) => {
          const commands: CommandSpec[] = outputs.map((o, i) => ({
            id: `c${i}`,
            argv: ['/bin/sh', '-c', 'printf %s "$1"; printf %s "$2" >&2; exit "$3"', 'sh', o.out, o.err, String(o.code)],
          }));
          const script = buildBatchScript(commands, { nonce: NONCE, sudo: false });
          const { stdout, stderr } = runScript(script, shell);
          const results = demuxBatch(commands, stdout, stderr, { nonce: NONCE, defaultMaxBytes: CAP });
          expect(results.map((r) => ({ out: r.stdout, err: r.stderr, code: r.exitCode }))).toEqual(outputs);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('a command that reads stdin cannot swallow the rest of the script', () => {
    const commands: CommandSpec[] = [
      { id: 'cat', argv: ['/bin/cat'] },
      { id: 'after', argv: ['/bin/echo', 'after'] },
      { id: 'locale', argv: ['/bin/sh', '-c', 'printf %s "$LC_ALL"'] },
    ];
    const { stdout, stderr } = runScript(buildBatchScript(commands, { nonce: NONCE, sudo: false }), shell);
    const results = demuxBatch(commands, stdout, stderr, { nonce: NONCE, defaultMaxBytes: CAP });
    expect(results.map((r) => [r.stdout, r.exitCode])).toEqual([
      ['', 0],
      ['after\n', 0],
      ['C', 0],
    ]);
  });
});

describe('the remote watchdog', () => {
  it('kills the running command when stdin (the channel) closes, as a session leader', async () => {
    const sleeper = ['/bin/sleep', `1000.${process.pid}1`];
    const commands: CommandSpec[] = [
      { id: 'sleep', argv: sleeper },
      { id: 'after', argv: ['/bin/echo', 'after'] },
    ];
    // setsid: the shell leads its own process group, as under sshd.
    const child = spawn('/usr/bin/setsid', ['/bin/sh', '-s'], { stdio: ['pipe', 'pipe', 'ignore'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      child.stdin.write(buildBatchScript(commands, { nonce: NONCE, sudo: false }));
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(pidsRunning(sleeper)).toHaveLength(1);
      child.stdin.end();
      await exited;
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(pidsRunning(sleeper)).toEqual([]);
      expect(stdout).not.toContain('after');
    } finally {
      for (const pid of pidsRunning(sleeper)) process.kill(pid, 'SIGKILL');
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});

function runScript(script: string, shell: string): { stdout: Buffer; stderr: Buffer } {
  const child = spawnSync(shell, ['-s'], { input: script });
  return { stdout: child.stdout, stderr: child.stderr };
}
