/**
 * Records the real outputs of this package's collectors as a replay directory:
 * `<id>.txt` (stdout), `<id>.exit` (exit code) and `<id>.stderr` when non-empty.
 *
 *   npx tsx test/collectors/capture-fixtures.ts OUT_DIR [--chroot ROOT] [--facets a,b] [--accounts a,b] [--groups g] [--files P...]
 *
 * --facets picks collectors by name (any facet, the default set being the host facets
 * above); --accounts/--groups are the users facet's named accounts and groups.
 * With --chroot every argv runs as `chroot ROOT argv...` (the debootstrap fixture).
 * Not a test: it is how fixtures/debian12* were made (see fixtures/README.md).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Collector } from '../../src/collectors/collector.js';
import { DEFAULT_COLLECTOR_CONTEXT } from '../../src/collectors/collector.js';
import { driversCollector } from '../../src/collectors/drivers.js';
import { filesCollector } from '../../src/collectors/files.js';
import { identityCollector } from '../../src/collectors/identity.js';
import { kernelCollector } from '../../src/collectors/kernel.js';
import { modulesCollector } from '../../src/collectors/modules.js';
import { multipathCollector } from '../../src/collectors/multipath.js';
import { networkCollector } from '../../src/collectors/network.js';
import { osCollector } from '../../src/collectors/os.js';
import { packagesCollector } from '../../src/collectors/packages.js';
import { servicesCollector } from '../../src/collectors/services.js';
import { sysctlCollector } from '../../src/collectors/sysctl.js';
import { collectorByName } from '../../src/collectors/registry.js';
import { isFacetName } from '../../src/core/snapshot.js';

const OWN_COLLECTORS: readonly Collector[] = [
  osCollector,
  kernelCollector,
  packagesCollector,
  modulesCollector,
  sysctlCollector,
  servicesCollector,
  filesCollector,
  identityCollector,
  networkCollector,
  driversCollector,
  multipathCollector,
];

interface Run {
  exitCode: number;
  stdout: string;
  stderr: string;
}

function run(argv: readonly string[]): Promise<Run> {
  const [file, ...args] = argv;
  return new Promise((resolve) => {
    execFile(file ?? '', args, { maxBuffer: 64 * 1024 * 1024, env: { ...process.env, LC_ALL: 'C' } }, (err, stdout, stderr) => {
      const code = err && typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : err ? 127 : 0;
      resolve({ exitCode: code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const out = args[0];
  if (!out) throw new Error('usage: capture-fixtures.ts OUT_DIR [--chroot ROOT] [--files P...]');
  const chrootAt = args.indexOf('--chroot');
  const root = chrootAt === -1 ? undefined : args[chrootAt + 1];
  const filesAt = args.indexOf('--files');
  const files = filesAt === -1 ? [] : args.slice(filesAt + 1).filter((a) => !a.startsWith('--'));
  const listArg = (flag: string): string[] => {
    const at = args.indexOf(flag);
    return at === -1 ? [] : (args[at + 1] ?? '').split(',').filter((v) => v !== '');
  };
  const ctx = { ...DEFAULT_COLLECTOR_CONTEXT, files, usersAccounts: listArg('--accounts'), usersGroups: listArg('--groups') };
  const facets = listArg('--facets');
  const collectors =
    facets.length === 0
      ? OWN_COLLECTORS
      : facets.map((name) => {
          if (!isFacetName(name)) throw new Error(`no facet named ${name}`);
          return collectorByName(name);
        });
  mkdirSync(out, { recursive: true });
  for (const collector of collectors) {
    for (const spec of collector.commands(ctx)) {
      const argv = root ? ['/usr/sbin/chroot', root, ...spec.argv] : spec.argv;
      const result = await run(argv);
      writeFileSync(join(out, `${spec.id}.txt`), result.stdout);
      writeFileSync(join(out, `${spec.id}.exit`), `${result.exitCode}\n`);
      if (result.stderr !== '') writeFileSync(join(out, `${spec.id}.stderr`), result.stderr);
      console.log(`${spec.id}: exit ${result.exitCode}, ${result.stdout.length} bytes`);
    }
  }
}

await main();
