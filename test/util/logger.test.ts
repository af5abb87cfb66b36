/** Log levels map to journald priorities when stdout is the journal (sd-daemon(3)). */
import { fstatSync, mkdtempSync, openSync, closeSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, journalLine, journalPriority, stdoutIsJournal } from '../../src/util/logger.js';

async function linesOf(journal: boolean, log: (l: ReturnType<typeof createLogger>) => void): Promise<string[]> {
  const out = new PassThrough();
  let text = '';
  out.on('data', (d: Buffer) => (text += d.toString()));
  const logger = createLogger('debug', out, { journal });
  log(logger);
  await new Promise((r) => setTimeout(r, 50));
  return text.trimEnd().split('\n');
}

describe('journald priorities', () => {
  it('maps pino levels to syslog priorities', () => {
    expect([60, 50, 40, 30, 20, 10].map(journalPriority)).toEqual([2, 3, 4, 6, 7, 7]);
    expect(journalLine('{"level":40,"msg":"x"}')).toBe('<4>{"level":40,"msg":"x"}');
  });

  it('prefixes every line with <N> under the journal, so `journalctl -p warning` keeps warn and error only', async () => {
    const lines = await linesOf(true, (l) => {
      l.error('boom');
      l.warn('drift');
      l.info('run finished');
      l.debug('detail');
    });
    expect(lines.map((l) => l.slice(0, 3))).toEqual(['<3>', '<4>', '<6>', '<7>']);
    // The rest of each line is the same JSON as without the journal.
    expect(JSON.parse(lines[1]?.slice(3) ?? '')).toMatchObject({ level: 40, msg: 'drift', service: 'driftd' });
    expect(lines.filter((l) => Number(l.slice(1, 2)) <= 4)).toHaveLength(2);
  });

  it('writes plain JSON otherwise', async () => {
    const lines = await linesOf(false, (l) => l.warn('drift'));
    expect(lines[0]?.startsWith('{')).toBe(true);
  });

  it("believes JOURNAL_STREAM only when it names the fd's own device and inode", () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'driftd-journal-'));
    const fd = openSync(path.join(dir, 'out'), 'w');
    try {
      const st = fstatSync(fd);
      expect(stdoutIsJournal({ JOURNAL_STREAM: `${st.dev}:${st.ino}` }, fd)).toBe(true);
      expect(stdoutIsJournal({ JOURNAL_STREAM: `${st.dev}:${st.ino + 1}` }, fd)).toBe(false);
      expect(stdoutIsJournal({}, fd)).toBe(false);
    } finally {
      closeSync(fd);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
