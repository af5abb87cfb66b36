import { mkdirSync, mkdtempSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DriftdConfig, effectiveSsh } from '../../src/config/schema.js';
import { createTransport } from '../../src/transports/factory.js';
import { sshdAvailable, sshdSkipReason, startSshd, type SshdServer } from '../helpers/sshd.js';

let configDir = '';
let server: SshdServer | undefined;

beforeAll(async () => {
  configDir = mkdtempSync(join(tmpdir(), 'driftd-factory-'));
  mkdirSync(join(configDir, 'rec', 'n3'), { recursive: true });
  writeFileSync(join(configDir, 'rec', 'n3', 'os.release.txt'), 'recorded\n');
  if (sshdAvailable) {
    server = await startSshd();
    // Relative to the config dir, as a user would write them.
    copyFileSync(server.identityFile, join(configDir, 'id_test'));
    copyFileSync(server.knownHosts, join(configDir, 'known_hosts'));
  }
});

afterAll(async () => {
  await server?.stop();
  rmSync(configDir, { recursive: true, force: true });
});

function config(): DriftdConfig {
  return DriftdConfig.parse({
    ssh: { user: server?.user ?? 'root', identityFile: 'id_test', knownHosts: 'known_hosts', port: 22 },
    clusters: [
      {
        name: 'c1',
        nodes: [
          { name: 'n1', transport: 'ssh', host: server?.host ?? '127.0.0.1', port: server?.port ?? 22 },
          { name: 'n2', transport: 'local' },
          { name: 'n3', transport: 'replay', path: 'rec/n3' },
        ],
      },
    ],
  });
}

describe('createTransport', () => {
  const spec = [{ id: 'os.release', argv: ['/bin/echo', 'live'] }];

  (sshdAvailable ? it : it.skip)(
    `builds an ssh transport with paths resolved against the config dir${sshdAvailable ? '' : ` [${sshdSkipReason}]`}`,
    async () => {
      const cfg = config();
      const node = cfg.clusters[0]!.nodes[0]!;
      const transport = createTransport(node, effectiveSsh(cfg, node), { configDir });
      expect(transport.kind).toBe('ssh');
      expect(transport.target).toBe(`root@${server!.host}:${server!.port}`);
      await transport.open();
      try {
        expect((await transport.run(spec))[0]?.stdout).toBe('live\n');
      } finally {
        await transport.close();
      }
    },
  );

  it('builds a local transport', async () => {
    const cfg = config();
    const node = cfg.clusters[0]!.nodes[1]!;
    const transport = createTransport(node, effectiveSsh(cfg, node), { configDir });
    expect(transport.kind).toBe('local');
    expect((await transport.run(spec))[0]?.stdout).toBe('live\n');
  });

  it('builds a replay transport reading a directory relative to the config', async () => {
    const cfg = config();
    const node = cfg.clusters[0]!.nodes[2]!;
    const transport = createTransport(node, effectiveSsh(cfg, node), { configDir });
    expect(transport.kind).toBe('replay');
    await transport.open();
    expect((await transport.run(spec))[0]?.stdout).toBe('recorded\n');
  });
});
