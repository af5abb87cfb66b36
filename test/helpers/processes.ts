import { readdirSync, readFileSync } from 'node:fs';

/** PIDs of processes whose argv is exactly `argv`, from /proc. */
export function pidsRunning(argv: string[]): number[] {
  const wanted = argv.join('\0') + '\0';
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8') === wanted;
      } catch {
        return false;
      }
    })
    .map(Number);
}
