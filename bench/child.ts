/**
 * Runs one measurement in a fresh Node process (own heap, own maxRSS) and returns the
 * JSON object it prints as its last stdout line.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export function childScript(name: string): string {
  return fileURLToPath(new URL(name, import.meta.url));
}

export function runChild<T>(script: string, args: readonly string[], onSpawn?: (pid: number) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--expose-gc', script, ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    if (child.pid !== undefined) onSpawn?.(child.pid);
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (text: string) => {
      out += text;
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (code !== 0) {
        reject(new Error(`${script} exited with ${code ?? signal}: ${out.slice(-2000)}`));
        return;
      }
      const last = out.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(last) as T);
      } catch {
        reject(new Error(`${script} printed no JSON result: ${out.slice(-2000)}`));
      }
    });
  });
}
