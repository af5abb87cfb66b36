import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultFacets } from '../../src/collectors/registry.js';
import { ConfigError, loadConfig, parseYamlWithSchema } from '../../src/config/load.js';
import { DriftdConfig, effectiveSsh } from '../../src/config/schema.js';

function issuesOf(text: string): string[] {
  try {
    parseYamlWithSchema(text, 'driftd.yaml', DriftdConfig);
  } catch (err) {
    if (err instanceof ConfigError) return err.message.split('\n');
    throw err;
  }
  return [];
}

const minimal = `clusters:
  - name: erp
    nodes:
      - { name: a, host: 10.0.0.1 }
`;

describe('configuration', () => {
  it('fills the documented defaults', () => {
    const config = parseYamlWithSchema(minimal, 'driftd.yaml', DriftdConfig);
    expect(config.listen).toBe('127.0.0.1:10731');
    expect(config.database).toBe('./driftd.db');
    expect(config.schedule).toBe('*/15 * * * *');
    expect(config.ssh.knownHosts).toBe('/etc/driftd/known_hosts');
    expect(config.ssh.user).toBe('driftd');
    // Every collector switched on by default (its defaultEnabled), in FACET_NAMES order.
    expect(config.clusters[0]?.facets).toEqual(defaultFacets());
    expect(config.clusters[0]?.facets).toEqual(
      expect.arrayContaining(['os', 'packages', 'corosync', 'identity', 'network', 'drivers', 'multipath', 'users', 'mounts']),
    );
    expect(config.clusters[0]?.nodes[0]?.transport).toBe('ssh');
  });

  it.each([
    [
      'a typo in a key',
      `clusters:\n  - name: erp\n    nodse: []\n    nodes:\n      - { name: a, host: h }\n`,
      /^driftd\.yaml:3:5: unknown key "nodse" in clusters\[0\]/,
    ],
    ['a typo in a nested key', `ssh:\n  usr: x\n${minimal}`, /^driftd\.yaml:2:3: unknown key "usr" in ssh/],
    ['a wrong type', `concurrency: many\n${minimal}`, /^driftd\.yaml:1:1: concurrency: expected number, got string "many"/],
    [
      'a port as a string',
      `clusters:\n  - name: erp\n    nodes:\n      - { name: a, host: h, port: "22" }\n`,
      /^driftd\.yaml:4:29: clusters\[0\]\.nodes\[0\]\.port: expected number, got string "22"/,
    ],
    [
      'a duplicate node name',
      `${minimal}      - { name: a, host: 10.0.0.2 }\n`,
      /^driftd\.yaml:5:11: clusters\[0\]\.nodes\[1\]\.name: duplicate node name "a"/,
    ],
    [
      'an ssh node without host',
      `clusters:\n  - name: erp\n    nodes:\n      - { name: a }\n`,
      /clusters\[0\]\.nodes\[0\]\.host: an ssh node needs a host/,
    ],
    [
      'a baseline that is not a node',
      `clusters:\n  - name: erp\n    baseline: zz\n    nodes:\n      - { name: a, host: h }\n`,
      /^driftd\.yaml:3:5: clusters\[0\]\.baseline: baseline "zz" is not one of this cluster's nodes/,
    ],
    [
      'an unknown facet',
      `clusters:\n  - name: erp\n    facets: [os, pkgs]\n    nodes:\n      - { name: a, host: h }\n`,
      /^driftd\.yaml:3:18: clusters\[0\]\.facets\[1\]: expected one of "os"/,
    ],
    [
      'a node name with shell metacharacters',
      `clusters:\n  - name: erp\n    nodes:\n      - { name: "a;rm -rf /", host: h }\n`,
      /nodes\[0\]\.name: a node name is 1-63 letters/,
    ],
    [
      'a relative file pattern',
      `clusters:\n  - name: erp\n    files: [etc/hosts]\n    nodes:\n      - { name: a, host: h }\n`,
      /files\[0\]: a file pattern is an absolute path/,
    ],
    ['broken YAML', `clusters: [\n`, /^driftd\.yaml:\d+:\d+: YAML: /],
    ['an unresolved alias', `clusters: *nope\n`, /^driftd\.yaml:\d+:\d+: YAML: /],
    ['a duplicate key', `listen: a:1\nlisten: b:2\n${minimal}`, /^driftd\.yaml:2:1: YAML: Map keys must be unique/],
  ])('rejects %s with file:line:col and a plain message', (_what, text, expected) => {
    const issues = issuesOf(text);
    expect(issues.length).toBeGreaterThan(0);
    expect(issues.some((line) => expected.test(line))).toBe(true);
  });

  it('a node name used in two clusters is an error', () => {
    const text = `clusters:\n  - name: one\n    nodes:\n      - { name: a, host: h }\n  - name: two\n    nodes:\n      - { name: a, host: h }\n`;
    expect(issuesOf(text).join('\n')).toMatch(/node name "a" is already used in cluster "one"/);
  });

  it('per-node ssh overrides win over the defaults', () => {
    const config = parseYamlWithSchema(
      `ssh: { user: driftd, port: 22 }\nclusters:\n  - name: erp\n    nodes:\n      - { name: a, host: h, port: 2222, ssh: { user: audit } }\n`,
      'x.yaml',
      DriftdConfig,
    );
    const node = config.clusters[0]?.nodes[0];
    if (!node) throw new Error('no node');
    const ssh = effectiveSsh(config, node);
    expect(ssh.user).toBe('audit');
    expect(ssh.port).toBe(2222);
    expect(ssh.knownHosts).toBe('/etc/driftd/known_hosts');
  });

  it('loadConfig names the file it could not read', () => {
    expect(() => loadConfig('/nonexistent/driftd.yaml')).toThrow(/nonexistent\/driftd\.yaml:1:1: cannot read config file \(ENOENT\)/);
  });

  it('loadConfig reads the bundled demo and a file from disk', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'driftd-config-'));
    const file = path.join(dir, 'driftd.yaml');
    writeFileSync(file, minimal);
    expect(loadConfig(file).dir).toBe(dir);
    const demo = loadConfig(path.resolve(__dirname, '../../examples/demo.yaml'));
    expect(demo.config.clusters.map((c) => c.name)).toEqual(['erp-demo', 'this-host']);
  });
});
