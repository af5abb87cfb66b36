/**
 * Runs every command of this package's collectors on THIS machine (Debian 12, root)
 * through the local transport (execFile with argv, no shell string) and parses what
 * came back. The dpkg-query reference listing is a direct execFile.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Collector, CollectorContext, CommandOutput } from '../../src/collectors/collector.js';
import { DEFAULT_COLLECTOR_CONTEXT } from '../../src/collectors/collector.js';
import { filesCollector } from '../../src/collectors/files.js';
import { kernelCollector } from '../../src/collectors/kernel.js';
import { modulesCollector } from '../../src/collectors/modules.js';
import { osCollector } from '../../src/collectors/os.js';
import { packagesCollector } from '../../src/collectors/packages.js';
import { servicesCollector } from '../../src/collectors/services.js';
import { sysctlCollector } from '../../src/collectors/sysctl.js';
import { LocalTransport } from '../../src/transports/local.js';

const CTX: CollectorContext = { ...DEFAULT_COLLECTOR_CONTEXT, files: ['/etc/hosts', '/etc/os-release', '/etc/driftd-no-such-file'] };

function runArgv(argv: readonly string[]): Promise<CommandOutput> {
  const [file, ...args] = argv;
  return new Promise((resolve) => {
    execFile(file ?? '', args, { maxBuffer: 64 * 1024 * 1024, env: { ...process.env, LC_ALL: 'C' } }, (err, stdout, stderr) => {
      const code = err ? (err as { code?: unknown }).code : 0;
      resolve({
        exitCode: typeof code === 'number' ? code : err ? null : 0,
        stdout: String(stdout),
        stderr: String(stderr),
        truncated: false,
        ...(err && typeof code !== 'number' ? { error: String(err.message) } : {}),
      });
    });
  });
}

const transport = new LocalTransport({ node: 'local', commandTimeoutSeconds: 60, maxOutputBytes: 64 * 1024 * 1024, sudo: false });

async function collect(collector: Collector) {
  const specs = collector.commands(CTX);
  for (const spec of specs) expect(spec.argv[0]?.startsWith('/')).toBe(true);
  const results = await transport.run(specs);
  const outputs: Record<string, CommandOutput> = {};
  for (const r of results) outputs[r.id] = r;
  return collector.parse(outputs, CTX);
}

const hasDpkg = existsSync('/usr/bin/dpkg-query');
if (!hasDpkg) console.warn('local.test: /usr/bin/dpkg-query missing, the packages comparison is skipped');

describe('collectors on this machine', () => {
  it.runIf(hasDpkg)('packages equal what dpkg-query -W prints (installed ones)', async () => {
    const facet = await collect(packagesCollector);
    expect(facet.status).toBe('ok');
    expect(facet.meta?.format).toBe('deb');
    const listed = await runArgv(['/usr/bin/dpkg-query', '-W', '-f', '${db:Status-Abbrev}\t${binary:Package}\t${Version}\n']);
    const expected: Record<string, string> = {};
    for (const line of listed.stdout.trim().split('\n')) {
      const [status, name, version] = line.split('\t');
      // `dpkg-query -W` also lists removed-but-configured packages; driftd keeps `ii`.
      if (!status?.startsWith('ii') || !name || version === undefined) continue;
      expected[name.replace(/:[a-z0-9]+$/, '')] = version;
    }
    const got = Object.fromEntries(Object.entries(facet.items).map(([k, v]) => [k, v.value]));
    expect(got).toEqual(expected);
    expect(Object.keys(got).length).toBeGreaterThan(50);
  });
  if (!hasDpkg) it.skip('SKIPPED: packages comparison needs /usr/bin/dpkg-query', () => {});

  it('os', async () => {
    const facet = await collect(osCollector);
    expect(facet.status).toBe('ok');
    expect(facet.items.id?.value).toBe('debian');
    expect(facet.items.hostname?.nodeSpecific).toBeTruthy();
  });

  it('kernel', async () => {
    const facet = await collect(kernelCollector);
    expect(facet.status).toBe('ok');
    const uname = await runArgv(['/bin/uname', '-r']);
    expect(facet.items.release?.value).toBe(uname.stdout.trim());
  });

  it('modules: unsupported exactly when /proc/modules is absent', async () => {
    const facet = await collect(modulesCollector);
    if (existsSync('/proc/modules')) expect(facet.status).toBe('ok');
    else expect(facet).toMatchObject({ status: 'unsupported', error: expect.stringContaining('/proc/modules') });
  });

  it('sysctl', async () => {
    const facet = await collect(sysctlCollector);
    expect(facet.status).toBe('ok');
    expect(Object.keys(facet.items).length).toBeGreaterThan(100);
    expect(facet.items['kernel.random.boot_id']).toBeUndefined();
    expect(facet.items['kernel.ostype']?.value).toBe('Linux');
  });

  it('services: unit files listed; active state only where systemd runs', async () => {
    const facet = await collect(servicesCollector);
    if (!existsSync('/bin/systemctl') && !existsSync('/usr/bin/systemctl')) {
      expect(facet.status).toBe('unsupported');
      return;
    }
    expect(facet.status).toBe('ok');
    expect(Object.keys(facet.items).length).toBeGreaterThan(0);
    if (!existsSync('/run/systemd/system')) expect(facet.meta?.active).toMatch(/^unavailable: /);
  });

  it('files', async () => {
    const facet = await collect(filesCollector);
    expect(facet.status).toBe('ok');
    expect(facet.items['/etc/hosts']?.value).toMatch(/^sha256=[0-9a-f]{64} mode=0[0-7]{3} owner=\S+:\S+ size=\d+$/);
    expect(facet.items['/etc/driftd-no-such-file']?.value).toBe('absent');
  });
});
