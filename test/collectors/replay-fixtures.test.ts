/** The fixture directories are replay directories: every host facet collects from them. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CollectorContext, CommandOutput } from '../../src/collectors/collector.js';
import { DEFAULT_COLLECTOR_CONTEXT } from '../../src/collectors/collector.js';
import { filesCollector } from '../../src/collectors/files.js';
import { kernelCollector } from '../../src/collectors/kernel.js';
import { modulesCollector } from '../../src/collectors/modules.js';
import { osCollector } from '../../src/collectors/os.js';
import { packagesCollector } from '../../src/collectors/packages.js';
import { servicesCollector } from '../../src/collectors/services.js';
import { sysctlCollector } from '../../src/collectors/sysctl.js';
import { ReplayTransport } from '../../src/transports/replay.js';
import { FIXTURES } from './fixture-outputs.js';

const HOST_COLLECTORS = [
  osCollector,
  kernelCollector,
  packagesCollector,
  modulesCollector,
  sysctlCollector,
  servicesCollector,
  filesCollector,
];
const DEMO_CTX: CollectorContext = {
  ...DEFAULT_COLLECTOR_CONTEXT,
  files: ['/etc/hosts', '/etc/sysctl.d/*.conf', '/etc/corosync/corosync.conf'],
};

async function replay(dir: string, ctx: CollectorContext) {
  const transport = new ReplayTransport({ node: dir, dir: join(FIXTURES, dir) });
  await transport.open();
  try {
    const statuses: Record<string, string> = {};
    for (const collector of HOST_COLLECTORS) {
      const results = await transport.run(collector.commands(ctx));
      const outputs: Record<string, CommandOutput> = Object.fromEntries(results.map((r) => [r.id, r]));
      statuses[collector.name] = collector.parse(outputs, ctx).status;
    }
    return statuses;
  } finally {
    await transport.close();
  }
}

const EXPECTED_DEMO = { os: 'ok', kernel: 'ok', packages: 'ok', modules: 'unsupported', sysctl: 'ok', services: 'ok', files: 'ok' };

describe('replaying fixture directories', () => {
  it.each([['demo/erp-a'], ['demo/erp-b'], ['demo/erp-c']])('%s: every host facet collects', async (dir) => {
    expect(await replay(dir, DEMO_CTX)).toEqual(EXPECTED_DEMO);
  });

  it('debian12-minbase: no systemd and no /proc/modules read as unsupported', async () => {
    expect(await replay('debian12-minbase', { ...DEMO_CTX, files: ['/etc/hosts'] })).toEqual({
      ...EXPECTED_DEMO,
      services: 'unsupported',
    });
  });

  it('rhel9 (partial): recorded facets parse, the others are unsupported, none errors', async () => {
    expect(await replay('rhel9', DEMO_CTX)).toEqual({
      os: 'unsupported',
      kernel: 'unsupported',
      packages: 'ok',
      modules: 'unsupported',
      sysctl: 'unsupported',
      services: 'unsupported',
      files: 'unsupported',
    });
  });
});
