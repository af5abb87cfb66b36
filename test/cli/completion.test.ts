/**
 * Shell completion and the man page, generated from the same commander tree that parses
 * the command line: bash completion run by real bash (COMP_WORDS/COMP_CWORD and the
 * function it registers), zsh completion by a real interactive zsh in a pty, and the man
 * page rendered by groff and man without a warning.
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandTree, flatten } from '../../src/cli/docs/command-tree.js';
import { bashCompletion } from '../../src/cli/docs/completion.js';
import { buildProgram } from '../../src/cli/main.js';

const run = promisify(execFile);
const REPO = path.resolve(__dirname, '../..');
const BIN = path.join(REPO, 'src/cli/bin.ts');
const ZSH = existsSync('/usr/bin/zsh') ? '/usr/bin/zsh' : null;
const GROFF = existsSync('/usr/bin/groff') ? '/usr/bin/groff' : null;
const MAN = existsSync('/usr/bin/man') ? '/usr/bin/man' : null;
if (!ZSH) console.warn('cli/completion.test: SKIPPED zsh cases: no /usr/bin/zsh (apt-get install -y zsh)');
if (!GROFF || !MAN) console.warn('cli/completion.test: SKIPPED man rendering: no groff/man (apt-get install -y groff-base man-db)');

async function driftd(...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', BIN, ...args], { cwd: REPO, maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

const tree = commandTree(buildProgram());
const commands = flatten(tree);
let dir: string;
let bashScript: string;
let zshDir: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'driftd-completion-'));
  bashScript = path.join(dir, 'driftd.bash');
  writeFileSync(bashScript, await driftd('completion', 'bash'));
  zshDir = path.join(dir, 'zsh');
  mkdirSync(zshDir);
  writeFileSync(path.join(zshDir, '_driftd'), await driftd('completion', 'zsh'));
}, 60_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** What bash offers for a command line whose last word is being completed. */
function bashComplete(lines: readonly (readonly string[])[]): string[][] {
  const calls = lines
    .map((words) => {
      const quoted = words.map((w) => `'${w.replace(/'/g, `'\\''`)}'`).join(' ');
      return `COMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}; COMPREPLY=(); _driftd_complete; printf '%s\\n' "\${COMPREPLY[*]}"`;
    })
    .join('\n');
  const result = spawnSync('bash', ['--norc', '--noprofile', '-c', `source ${JSON.stringify(bashScript)}\n${calls}`], { encoding: 'utf8' });
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  return result.stdout
    .split('\n')
    .slice(0, lines.length)
    .map((line) => line.split(' ').filter(Boolean).sort());
}

describe('bash completion (real bash, COMP_WORDS)', () => {
  it('is valid bash and registers a completion function for driftd', () => {
    const result = spawnSync('bash', ['--norc', '-c', `source ${JSON.stringify(bashScript)} && complete -p driftd`], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('complete -o default -F _driftd_complete driftd');
  });

  it('completes commands, subcommands, options and option choices', () => {
    const cases: [string[], string[]][] = [
      [['driftd', 'wi'], ['window']],
      [
        ['driftd', 'window', 'st'],
        ['start', 'status'],
      ],
      [['driftd', '--version', 'window', 'f'], ['finish']],
      [
        ['driftd', 'diff', '--facet', 'p'],
        ['pacemaker', 'packages'],
      ],
      [
        ['driftd', 'report', '--format', ''],
        ['html', 'json', 'md'],
      ],
      [
        ['driftd', 'check', '--fail-on', ''],
        ['critical', 'warning'],
      ],
      [
        ['driftd', 'check', '--c'],
        ['--cluster', '--color', '--config'],
      ],
      [['driftd', 'serve', '--l'], ['--listen']],
      [
        ['driftd', 'completion', ''],
        ['--help', '-h', 'bash', 'zsh'],
      ],
      // A value of an option is never taken for a command: "prune" here is a cluster name.
      [['driftd', 'history', '--cluster', 'prune', 'p'], ['prune']],
      [['driftd', 'history', 'v'], ['verify']],
    ];
    const offered = bashComplete(cases.map(([words]) => words));
    cases.forEach(([words, expected], i) => expect(offered[i], words.join(' ')).toEqual([...expected].sort()));
  });

  it('file names for file-valued options (--config, --out), nothing invented for node names', () => {
    writeFileSync(path.join(dir, 'cluster-a.yaml'), 'x');
    const [config, out, cluster] = bashComplete([
      ['driftd', 'check', '--config', path.join(dir, 'cluster-')],
      ['driftd', 'report', '--out', path.join(dir, 'cluster-')],
      ['driftd', 'check', '--cluster', 'e'],
    ]);
    expect(config).toEqual([path.join(dir, 'cluster-a.yaml')]);
    expect(out).toEqual([path.join(dir, 'cluster-a.yaml')]);
    expect(cluster).toEqual([]);
  });

  it('offers every subcommand and every option of every command (the generator misses none)', () => {
    const offered = bashComplete(commands.map((c) => [...c.path, '']));
    commands.forEach((c, i) => {
      const expected = [
        ...c.subcommands.map((s) => s.path.at(-1) ?? ''),
        ...c.options.flatMap((o) => [o.short, o.long].filter((n): n is string => n !== null)),
        ...(c.arguments[0]?.choices ?? []),
      ].sort();
      expect(offered[i], c.path.join(' ')).toEqual(expected);
    });
    expect(commands.map((c) => c.path.join(' '))).toContain('driftd window status');
  });

  it('is generated from the live tree: a new option appears in it', () => {
    const program = buildProgram();
    program.commands.find((c) => c.name() === 'diff')?.option('--brand-new-flag', 'test');
    expect(bashCompletion(commandTree(program))).toContain('--brand-new-flag');
  });
});

describe.skipIf(!ZSH)('zsh completion (real interactive zsh in a pty)', () => {
  async function zshOffers(line: string): Promise<string[]> {
    const { stdout } = await run(ZSH ?? 'zsh', ['-f', path.join(__dirname, 'zsh-capture.zsh'), zshDir, line], { timeout: 60_000 });
    return [...new Set(stdout.split('\n').filter(Boolean))].sort();
  }

  it('is valid zsh', () => {
    const result = spawnSync(ZSH ?? 'zsh', ['-n', path.join(zshDir, '_driftd')], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it.each([
    [
      'driftd ',
      ['changes', 'check', 'collect', 'completion', 'diff', 'history', 'init', 'man', 'report', 'rules', 'serve', 'simulate', 'window'],
    ],
    ['driftd window st', ['start', 'status']],
    ['driftd diff --facet p', ['pacemaker', 'packages']],
    ['driftd report --format ', ['html', 'json', 'md']],
    ['driftd check --f', ['--fail-on']],
    ['driftd serve --l', ['--listen']],
    ['driftd history --cluster prune p', ['prune']],
  ])(
    '%j offers %j',
    async (line, expected) => {
      expect(await zshOffers(line)).toEqual(expected);
    },
    40_000,
  );
});

describe('man page (roff, from the same tree)', () => {
  let roff: string;

  beforeAll(async () => {
    roff = await driftd('man');
  }, 60_000);

  it('names every command and every long option, and the exit codes', () => {
    for (const c of commands.slice(1)) expect(roff).toContain(`.SS\n\\fB${c.path.join(' ').replace(/-/g, '\\-')}\\fR`);
    for (const o of commands.flatMap((c) => c.options)) {
      if (o.long && o.long !== '--help') expect(roff).toContain(`\\fB${o.long.replace(/-/g, '\\-')}\\fR`);
    }
    expect(roff).toMatch(/^\.SH EXIT STATUS\n\.TP\n\\fB0\\fR\n/m);
    expect(roff).toMatch(/^\.TH DRIFTD 1 /m);
    // No text line starts with a roff control character.
    const text = roff.split('\n').filter((l) => !/^\.(TH|SH|SS|TP|br|\\")( |$)/.test(l));
    expect(text.filter((l) => /^[.']/.test(l))).toEqual([]);
  });

  it.skipIf(!GROFF || !MAN)('renders with groff and man -l without a warning', async () => {
    const file = path.join(dir, 'driftd.1');
    writeFileSync(file, roff);
    const groff = spawnSync(GROFF ?? 'groff', ['-man', '-Tutf8', '-ww', '-z', file], { encoding: 'utf8' });
    expect(groff.stderr).toBe('');
    expect(groff.status).toBe(0);
    const man = spawnSync(MAN ?? 'man', ['-l', file], {
      encoding: 'utf8',
      env: { ...process.env, MANWIDTH: '100', MAN_KEEP_FORMATTING: '' },
    });
    expect(man.stderr).toBe('');
    expect(man.stdout).toMatch(/^DRIFTD\(1\)/);
    expect(man.stdout).toContain('driftd window status [options]');
    expect(man.stdout).toContain('--listen host:port');
  });
});
