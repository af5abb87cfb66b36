import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_COLLECTOR_CONTEXT, type CollectorContext } from '../../src/collectors/collector.js';
import { ABSENT, FILES_COMMAND_ID, filesCollector, UNREADABLE } from '../../src/collectors/files.js';
import { fixtureOutputs, ok } from './fixture-outputs.js';

const run = promisify(execFile);

/** The patterns fixtures/debian12* were captured with (see fixtures/README.md). */
const FIXTURE_FILES = [
  '/etc/hosts',
  '/etc/sysctl.d/*.conf',
  '/etc/corosync/corosync.conf',
  '/etc/ssh',
  '/etc/localtime',
  '/etc/ld.so.cache',
  '/etc/driftd-fixture-absent.conf',
];
const DEMO_FILES = ['/etc/hosts', '/etc/sysctl.d/*.conf', '/etc/corosync/corosync.conf'];
const ctxWith = (files: string[], max = DEFAULT_COLLECTOR_CONTEXT.fileContentMaxBytes): CollectorContext => ({
  ...DEFAULT_COLLECTOR_CONTEXT,
  files,
  fileContentMaxBytes: max,
});

describe('files collector on fixture dirs', () => {
  it('debian12', () => {
    const facet = filesCollector.parse(fixtureOutputs('debian12', [FILES_COMMAND_ID]), ctxWith(FIXTURE_FILES));
    expect(facet.status).toBe('ok');
    expect(Object.keys(facet.items).sort()).toEqual([
      '/etc/corosync/corosync.conf',
      '/etc/driftd-fixture-absent.conf',
      '/etc/hosts',
      '/etc/ld.so.cache',
      '/etc/localtime',
      '/etc/ssh',
      '/etc/sysctl.d/99-sysctl.conf',
    ]);
    expect(facet.items['/etc/hosts']).toEqual({
      value: 'sha256=6ddf9e4f40a00c9c803fc850c98175fc269762f22bc2d0e4112b65ec1efba16a mode=0755 owner=root:root size=49',
      content: '127.0.0.1 localhost\n127.0.0.1 runsc\n127.0.0.1 vm\n',
    });
    expect(facet.items['/etc/corosync/corosync.conf']?.content).toContain('totem {');
    // Binary: hashed, no content.
    expect(facet.items['/etc/ld.so.cache']?.value).toMatch(/^sha256=5e94b8[0-9a-f]{58} mode=0644 owner=root:root size=38159$/);
    expect(facet.items['/etc/ld.so.cache']?.content).toBeUndefined();
    expect(facet.items['/etc/ssh']?.value).toBe('type=directory mode=0755 owner=root:root');
    expect(facet.items['/etc/localtime']?.value).toBe('symlink=/usr/share/zoneinfo/Etc/UTC');
    expect(facet.items['/etc/sysctl.d/99-sysctl.conf']?.value).toBe('symlink=../sysctl.conf');
    expect(facet.items['/etc/driftd-fixture-absent.conf']?.value).toBe(ABSENT);
  });

  it('debian12-minbase: an unmatched glob is one absent item named by the pattern', () => {
    const facet = filesCollector.parse(fixtureOutputs('debian12-minbase', [FILES_COMMAND_ID]), ctxWith(FIXTURE_FILES));
    expect(facet.items['/etc/sysctl.d/*.conf']?.value).toBe(ABSENT);
    expect(facet.items['/etc/hosts']?.value).toBe(ABSENT);
    expect(Object.keys(facet.items)).toHaveLength(7);
  });

  it('demo: erp-c differs from erp-a only in the sysctl drop-in and its corosync.conf (token)', () => {
    const a = filesCollector.parse(fixtureOutputs('demo/erp-a', [FILES_COMMAND_ID]), ctxWith(DEMO_FILES)).items;
    const c = filesCollector.parse(fixtureOutputs('demo/erp-c', [FILES_COMMAND_ID]), ctxWith(DEMO_FILES)).items;
    expect(Object.keys(a).sort()).toEqual(['/etc/corosync/corosync.conf', '/etc/hosts', '/etc/sysctl.d/90-erp.conf']);
    expect(
      Object.keys(a)
        .filter((k) => a[k]?.value !== c[k]?.value)
        .sort(),
    ).toEqual(['/etc/corosync/corosync.conf', '/etc/sysctl.d/90-erp.conf']);
    expect(c['/etc/sysctl.d/90-erp.conf']?.content).toContain('vm.swappiness = 60');
    expect(c['/etc/corosync/corosync.conf']?.content).toMatch(/token: 5000/);
    expect(a['/etc/corosync/corosync.conf']?.content).toMatch(/token: 3000/);
  });
});

describe('files records', () => {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const parse = (text: string) => filesCollector.parse({ [FILES_COMMAND_ID]: ok(text) }, ctxWith(['/x']));

  it('unreadable and special files', () => {
    const facet = parse(`unreadable\t${b64('/etc/shadow')}\nspecial\t${b64('/dev/null')}\t666\troot\troot\n`);
    expect(facet.items['/etc/shadow']?.value).toBe(UNREADABLE);
    expect(facet.items['/dev/null']?.value).toBe('type=special mode=0666 owner=root:root');
  });

  it('a file over the cap has a hash and no content', () => {
    const facet = parse(`file\t${b64('/big')}\t644\troot\troot\t999999\t${'a'.repeat(64)}\t-\n`);
    expect(facet.items['/big']).toEqual({ value: `sha256=${'a'.repeat(64)} mode=0644 owner=root:root size=999999` });
  });

  it.each([
    ['unknown kind', `weird\t${b64('/x')}\n`],
    ['bad base64 path', 'absent\t!!!\n'],
    ['short file record', `file\t${b64('/x')}\t644\troot\n`],
    ['bad hash', `file\t${b64('/x')}\t644\troot\troot\t1\tnothex\t-\n`],
  ])('%s is an error naming the line', (_name, text) => {
    const facet = parse(text);
    expect(facet.status).toBe('error');
    expect(facet.error).toContain('line 1');
  });

  it('no configured files: nothing to run, nothing to compare', () => {
    expect(filesCollector.commands(ctxWith([]))).toEqual([]);
    expect(filesCollector.parse({}, ctxWith([]))).toMatchObject({ status: 'ok', items: {} });
  });
});

describe('files command run for real through /bin/sh (execFile, no shell string)', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'driftd-files-'));
    mkdirSync(join(dir, 'conf.d'));
    writeFileSync(join(dir, 'conf.d', 'a.conf'), 'alpha\n');
    writeFileSync(join(dir, 'conf.d', 'b c.conf'), 'with space\n');
    writeFileSync(join(dir, 'conf.d', 'nl\nname.conf'), 'newline in name\n');
    writeFileSync(join(dir, 'bin.dat'), Buffer.from([0, 1, 2, 3]));
    writeFileSync(join(dir, 'big.txt'), 'x'.repeat(100));
    chmodSync(join(dir, 'conf.d', 'a.conf'), 0o600);
    symlinkSync('conf.d/a.conf', join(dir, 'link'));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function collect(files: string[], max = 64) {
    const ctx = ctxWith(files, max);
    const [spec] = filesCollector.commands(ctx);
    const [file, ...args] = spec!.argv;
    const { stdout, stderr } = await run(file!, args, { encoding: 'utf8' });
    return filesCollector.parse({ [FILES_COMMAND_ID]: { exitCode: 0, stdout, stderr, truncated: false } }, ctx);
  }

  it('expands globs, keeps odd names intact, hashes every file', async () => {
    const facet = await collect([`${dir}/conf.d/*.conf`, `${dir}/bin.dat`, `${dir}/big.txt`, `${dir}/link`]);
    expect(facet.status).toBe('ok');
    expect(facet.items[`${dir}/conf.d/a.conf`]?.content).toBe('alpha\n');
    expect(facet.items[`${dir}/conf.d/a.conf`]?.value).toMatch(/^sha256=[0-9a-f]{64} mode=0600 owner=root:root size=6$/);
    expect(facet.items[`${dir}/conf.d/b c.conf`]?.content).toBe('with space\n');
    expect(facet.items[`${dir}/conf.d/nl\nname.conf`]?.content).toBe('newline in name\n');
    expect(facet.items[`${dir}/bin.dat`]?.content).toBeUndefined();
    // 100 bytes > the 64-byte cap: compared by hash only.
    expect(facet.items[`${dir}/big.txt`]?.content).toBeUndefined();
    expect(facet.items[`${dir}/big.txt`]?.value).toContain('size=100');
    expect(facet.items[`${dir}/link`]?.value).toBe('symlink=conf.d/a.conf');
  });

  it('the sha256 matches sha256sum', async () => {
    const facet = await collect([`${dir}/bin.dat`]);
    const { stdout } = await run('/usr/bin/sha256sum', [`${dir}/bin.dat`]);
    expect(facet.items[`${dir}/bin.dat`]?.value).toContain(`sha256=${stdout.split(' ')[0]}`);
  });

  it('a pattern is data: no command substitution, no field splitting', async () => {
    const marker = join(dir, 'pwned');
    const facet = await collect([`$(touch ${marker})`, `${dir}/conf.d/a.conf ${dir}/bin.dat`, '`id`']);
    expect(facet.items[`$(touch ${marker})`]?.value).toBe(ABSENT);
    expect(facet.items[`${dir}/conf.d/a.conf ${dir}/bin.dat`]?.value).toBe(ABSENT);
    expect(facet.items['`id`']?.value).toBe(ABSENT);
    const { stdout } = await run('/bin/ls', [dir]);
    expect(stdout).not.toContain('pwned');
  });
});
