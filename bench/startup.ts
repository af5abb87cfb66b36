/**
 * Start-up: what a script pays before driftd does anything. `driftd --version` and
 * `driftd check --help` (commander only, nothing of the command's work), as users run
 * them (`node dist/cli/bin.js`) and as developers do (`tsx src/cli/bin.ts`), against
 * bare `node -e 0`. Every command runs once per round, the order rotating each round,
 * so a slow moment of the machine is shared; ratios are of medians of the same run.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { BuiltCli } from './dist.js';
import { median } from './stats.js';

const REPO_ROOT = join(import.meta.dirname, '..');
const TSX = join(REPO_ROOT, 'node_modules', '.bin', 'tsx');

export interface StartupCommand {
  /** e.g. `dist (working tree): driftd --version` */
  label: string;
  file: string;
  args: string[];
  /** Some text its stdout must contain, so a failing start is not timed as a fast one. */
  expect: string;
}

export interface StartupSample {
  label: string;
  ms: number[];
  medianMs: number;
  /** median / median of bare `node -e 0` in the same run. */
  ratioToBareNode: number;
}

export interface StartupSummary {
  rounds: number;
  bareNodeMedianMs: number;
  samples: StartupSample[];
}

export function startupCommands(builds: readonly BuiltCli[], withTsx: boolean): StartupCommand[] {
  const commands: StartupCommand[] = [];
  for (const cli of builds) {
    commands.push(
      { label: `dist (${cli.label}): driftd --version`, file: process.execPath, args: [cli.bin, '--version'], expect: '.' },
      { label: `dist (${cli.label}): driftd check --help`, file: process.execPath, args: [cli.bin, 'check', '--help'], expect: '--stored' },
    );
  }
  if (withTsx) {
    commands.push(
      { label: 'tsx (dev): driftd --version', file: TSX, args: ['src/cli/bin.ts', '--version'], expect: '.' },
      { label: 'tsx (dev): driftd check --help', file: TSX, args: ['src/cli/bin.ts', 'check', '--help'], expect: '--stored' },
    );
  }
  return commands;
}

const BARE: StartupCommand = { label: 'bare node -e 0', file: process.execPath, args: ['-e', '0'], expect: '' };

export async function measureStartup(commands: readonly StartupCommand[], rounds: number): Promise<StartupSummary> {
  const all = [BARE, ...commands];
  // One untimed run of each: page cache, V8's code cache of node itself.
  for (const command of all) await runOnce(command);
  const times = new Map<StartupCommand, number[]>(all.map((c) => [c, []]));
  for (let round = 0; round < rounds; round += 1) {
    const order = all.map((_, i) => all[(i + round) % all.length] as StartupCommand);
    for (const command of order) times.get(command)?.push(await runOnce(command));
  }
  const bareNodeMedianMs = median(times.get(BARE) ?? []);
  return {
    rounds,
    bareNodeMedianMs,
    samples: all.map((command) => {
      const ms = times.get(command) ?? [];
      return { label: command.label, ms, medianMs: median(ms), ratioToBareNode: median(ms) / bareNodeMedianMs };
    }),
  };
}

/** Wall time from spawn to exit of one process; throws unless it exits 0 with the expected output. */
function runOnce(command: StartupCommand): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command.file, command.args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (t: string) => (stdout += t));
    child.stderr.on('data', (t: string) => (stderr += t));
    child.once('error', reject);
    child.once('close', (code) => {
      const ms = performance.now() - started;
      if (code !== 0 || !stdout.includes(command.expect)) {
        reject(new Error(`${command.label} exited ${code} (stdout ${JSON.stringify(stdout.slice(0, 200))}): ${stderr.slice(-1000)}`));
        return;
      }
      resolve(ms);
    });
  });
}
