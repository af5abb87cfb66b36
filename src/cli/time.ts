/**
 * Times on the command line: ISO 8601 (`2026-11-24T22:00Z`, `2026-11-24 22:00`, a bare
 * date), or an age before now (`90m`, `36h`, `7d`, `2w`).
 */
import { CliError, EXIT } from './exit-codes.js';

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

export function parseTimeArg(text: string, now: Date, flag: string): string {
  const relative = /^(\d+)([smhdw])$/.exec(text.trim());
  if (relative) {
    const [, amount, unit] = relative;
    return new Date(now.getTime() - Number(amount) * (UNIT_MS[unit ?? 's'] ?? 1000)).toISOString();
  }
  const normalised = text.trim().replace(/^(\d{4}-\d{2}-\d{2}) (\d)/, '$1T$2');
  const ms = Date.parse(normalised);
  if (Number.isNaN(ms)) {
    throw new CliError(
      `${flag} "${text}" is not a time: use ISO 8601 (2026-11-24T22:00:00Z, 2026-11-24 22:00) or an age such as 90m, 36h, 7d`,
      EXIT.undecided,
    );
  }
  return new Date(ms).toISOString();
}
