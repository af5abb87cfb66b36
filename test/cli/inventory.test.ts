/** Ansible inventories (INI, YAML, `ansible-inventory --list` JSON) as clusters: pure parsers. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { inventoryFromIni, inventoryFromJson, inventoryFromYaml, parseInventory } from '../../src/cli/init/inventory.js';

const EXPECTED = {
  ok: true,
  groups: [
    {
      name: 'erp',
      hosts: [
        { name: 'erp-a', host: '10.0.0.1', port: null },
        { name: 'erp-b', host: '10.0.0.2', port: 2222 },
      ],
    },
    { name: 'nfs', hosts: [{ name: 'nfs1.example.org', host: 'nfs1.example.org', port: null }] },
  ],
};

// The same inventory in the three forms Ansible's documentation shows.
const INI = `# hand-made edge cases: comments, a vars and a children section
[erp]
erp-a ansible_host=10.0.0.1
erp-b ansible_host=10.0.0.2 ansible_port=2222   # the standby

[erp:vars]
ansible_user=audit

[nfs]
nfs1.example.org

[prod:children]
erp
`;

const YAML = `all:
  children:
    prod:
      children:
        erp:
          hosts:
            erp-a:
              ansible_host: 10.0.0.1
            erp-b:
              ansible_host: 10.0.0.2
              ansible_port: 2222
    nfs:
      hosts:
        nfs1.example.org:
`;

// As ansible-inventory --list prints it (ansible-core 2.14), trimmed.
const JSON_LIST = JSON.stringify({
  _meta: {
    hostvars: {
      'erp-a': { ansible_host: '10.0.0.1' },
      'erp-b': { ansible_host: '10.0.0.2', ansible_port: 2222 },
      'nfs1.example.org': {},
    },
  },
  all: { children: ['ungrouped', 'prod', 'nfs'] },
  prod: { children: ['erp'] },
  erp: { hosts: ['erp-a', 'erp-b'] },
  nfs: { hosts: ['nfs1.example.org'] },
});

describe('Ansible inventories', () => {
  it.each([
    ['INI', INI, inventoryFromIni],
    ['YAML', YAML, inventoryFromYaml],
    ['ansible-inventory --list JSON', JSON_LIST, inventoryFromJson],
  ])('%s: groups with hosts become clusters', (_name, text, parse) => {
    expect(parse(text)).toEqual(EXPECTED);
    expect(parseInventory(text)).toEqual(EXPECTED);
  });

  it('says what is wrong instead of throwing', () => {
    expect(inventoryFromJson('{')).toMatchObject({ ok: false });
    expect(inventoryFromJson('[1]')).toMatchObject({ ok: false });
    expect(inventoryFromYaml('all: [')).toMatchObject({ ok: false });
    expect(inventoryFromIni('[erp\nhost')).toEqual({ ok: false, error: 'line 1: malformed section header "[erp"' });
  });

  it('never throws, whatever the input (property)', () => {
    for (const parse of [inventoryFromIni, inventoryFromJson, inventoryFromYaml, parseInventory]) {
      fc.assert(
        fc.property(fc.oneof(fc.string(), fc.json(), fc.stringMatching(/^[[\]a-z:= \n{}#-]{0,80}$/)), (text) => {
          const result = parse(text);
          expect(typeof result.ok).toBe('boolean');
        }),
        { numRuns: 300 },
      );
    }
  });
});
