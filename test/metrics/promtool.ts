/** Runs the real promtool; tests that need it skip loudly when it is missing. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const PROMTOOL = process.env['PROMTOOL'] ?? '/usr/bin/promtool';
export const HAVE_PROMTOOL = existsSync(PROMTOOL);

if (!HAVE_PROMTOOL) {
  console.warn(`SKIPPING promtool tests: ${PROMTOOL} not found (Debian package: prometheus)`);
}

export interface PromtoolResult {
  status: number | null;
  output: string;
}

export function promtool(args: string[], input?: string): PromtoolResult {
  const result = spawnSync(PROMTOOL, args, { input, encoding: 'utf8', timeout: 60_000 });
  if (result.error) throw result.error;
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}
