/**
 * identity facet: real outputs captured on the development VM (fixtures/debian12,
 * identity-*), fingerprints checked against `ssh-keygen -lf` on the same files, and the
 * parsers' edge cases; fast-check properties that they never throw.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_COLLECTOR_CONTEXT } from '../../src/collectors/collector.js';
import {
  addressItems,
  IDENTITY_COMMAND_IDS,
  identityCollector,
  parseHostnameFile,
  parseInitiatorName,
  parseMachineId,
  sshFingerprint,
} from '../../src/collectors/identity.js';
import { failed, FIXTURES, fixtureOutputs, ok } from './fixture-outputs.js';

const parse = (outputs: Parameters<typeof identityCollector.parse>[0]) => identityCollector.parse(outputs, DEFAULT_COLLECTOR_CONTEXT);

describe('identity on the real Debian 12 capture', () => {
  const facet = parse(fixtureOutputs('debian12', IDENTITY_COMMAND_IDS));

  it('reads machine-id, hostname, host keys, iSCSI initiator, MACs and global addresses, each node-specific and unique', () => {
    expect(facet.status).toBe('ok');
    expect(facet.items['machine-id']?.value).toBe(readFileSync(join(FIXTURES, 'debian12', 'identity-machine-id.txt'), 'utf8').trim());
    expect(facet.items.hostname?.value).toBe('vm');
    expect(facet.items['iscsi.initiator']?.value).toBe('iqn.1993-08.org.debian:01:79eeac979e97');
    expect(facet.items['mac.eth0']?.value).toBe('02:fc:00:00:00:01');
    expect(facet.items['ip.eth0.192.0.2.2']?.value).toBe('192.0.2.2');
    expect(facet.items['ip.eth0.fd00::2']?.value).toBe('fd00::2');
    expect(Object.keys(facet.items).filter((k) => k.includes('.lo') || k.includes('127.0.0.1') || k.includes('fe80'))).toEqual([]);
    for (const [key, item] of Object.entries(facet.items)) {
      expect(item.nodeSpecific, key).toBeTruthy();
      expect(item.unique, key).toBeTruthy();
    }
  });

  it('computes the SHA256 fingerprints ssh-keygen -lf prints for the same public keys', () => {
    const reference = readFileSync(join(FIXTURES, 'debian12', 'identity-ssh-keygen-lf.reference'), 'utf8');
    const expected = Object.fromEntries(
      reference
        .trim()
        .split('\n')
        .map((line) => {
          const [, fp, , type] = /^\d+ (\S+) (\S+) \((\w+)\)$/.exec(line) ?? [];
          return [`ssh.hostkey.${(type ?? '').toLowerCase()}`, fp];
        }),
    );
    const got = Object.fromEntries(
      Object.entries(facet.items)
        .filter(([k]) => k.startsWith('ssh.hostkey.'))
        .map(([k, v]) => [k, v.value]),
    );
    expect(got).toEqual(expected);
  });
});

describe('identity edge cases', () => {
  it('a node with none of its sources is unsupported, with the reasons', () => {
    const missing = failed(127, 'sh: 1: cat: not found');
    const facet = parse(Object.fromEntries(IDENTITY_COMMAND_IDS.map((id) => [id, missing])));
    expect(facet.status).toBe('unsupported');
    expect(facet.error).toContain('machine-id');
  });

  it('keeps what it can read when some sources are absent (no iSCSI, no ip)', () => {
    const facet = parse({
      'identity-machine-id': ok('0123456789abcdef0123456789abcdef\n'),
      'identity-hostname': ok('erp-a\n'),
      'identity-ssh-hostkeys': ok(''),
      'identity-iscsi': failed(1, 'cat: /etc/iscsi/initiatorname.iscsi: No such file or directory'),
      'identity-ip-addr': failed(127, 'sh: 1: exec: ip: not found'),
    });
    expect(facet.status).toBe('ok');
    expect(Object.keys(facet.items)).toEqual(['machine-id', 'hostname']);
    expect(facet.meta?.absent).toBe('ssh host keys, addresses (ip)');
  });

  it.each([
    ['', undefined],
    ['uninitialized\n', undefined],
    ['00000000000000000000000000000000\n', undefined],
    ['3D1219C7C4C5404AAA1F6D2A48ADFDA4\n', '3d1219c7c4c5404aaa1f6d2a48adfda4'],
  ])('machine-id %j -> %s', (text, expected) => {
    expect(parseMachineId(text)).toBe(expected);
  });

  it('hostname file: first word of the first non-comment line; initiator name past the comments', () => {
    expect(parseHostnameFile('# set by the installer\n\nerp-a.example.com  \n')).toBe('erp-a.example.com');
    expect(parseInitiatorName('## DO NOT EDIT\nInitiatorName=iqn.2026-01.com.example:erp-a\n')).toBe('iqn.2026-01.com.example:erp-a');
    expect(parseInitiatorName('#InitiatorName=iqn.x\n')).toBeUndefined();
  });

  it('leaves out loopback, link-local and the container bridges every host has alike', () => {
    const items = addressItems([
      { ifname: 'lo', link_type: 'loopback', address: '00:00:00:00:00:00', addr_info: [{ local: '127.0.0.1', scope: 'host' }] },
      { ifname: 'docker0', address: '02:42:ac:11:00:01', addr_info: [{ local: '172.17.0.1', scope: 'global' }] },
      { ifname: 'virbr0', address: '52:54:00:00:00:01', addr_info: [{ local: '192.168.122.1', scope: 'global' }] },
      {
        ifname: 'eth0',
        address: '02:FC:00:00:00:01',
        addr_info: [
          { local: 'fe80::1', scope: 'link' },
          { local: '10.0.0.11', scope: 'global' },
        ],
      },
    ]);
    expect(Object.keys(items)).toEqual(['mac.eth0', 'ip.eth0.10.0.0.11']);
    expect(items['mac.eth0']?.value).toBe('02:fc:00:00:00:01');
  });

  it('a line that is not a public key has no fingerprint', () => {
    expect(sshFingerprint('ssh-ed25519 not*base64')).toBeUndefined();
    expect(sshFingerprint('')).toBeUndefined();
  });
});

describe('identity parsers never throw (fast-check)', () => {
  it('addressItems on any JSON value ip could be made to print', () => {
    fc.assert(
      fc.property(fc.array(fc.dictionary(fc.constantFrom('ifname', 'address', 'addr_info', 'link_type', 'x'), fc.jsonValue())), (links) => {
        const items = addressItems(links);
        for (const item of Object.values(items)) expect(typeof item.value).toBe('string');
      }),
      { numRuns: 300 },
    );
  });

  it('the text parsers on any text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        parseMachineId(text);
        parseHostnameFile(text);
        parseInitiatorName(text);
        sshFingerprint(text);
      }),
      { numRuns: 300 },
    );
  });
});
