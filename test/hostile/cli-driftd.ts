/** Runs the real CLI as a child process (tsx), for the hostile-node tests. */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const REPO = path.resolve(__dirname, '../..');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

export async function driftd(args: string[], options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  const started = Date.now();
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', path.join(REPO, 'src/cli/bin.ts'), ...args], {
      cwd: REPO,
      maxBuffer: 256 * 1024 * 1024,
      timeout: options.timeoutMs ?? 120_000,
      env: { ...process.env, ...options.env },
    });
    return { code: 0, stdout, stderr, ms: Date.now() - started };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '', ms: Date.now() - started };
  }
}

export function sshNodeYaml(
  name: string,
  s: { host: string; port: number; user: string; identityFile: string; knownHosts: string },
  sshExtra = '',
): string {
  return `      - { name: ${name}, host: ${s.host}, port: ${s.port}, ssh: { user: ${s.user}, identityFile: ${s.identityFile}, knownHosts: ${s.knownHosts}${sshExtra ? `, ${sshExtra}` : ''} } }`;
}
