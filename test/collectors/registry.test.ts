import { describe, expect, it } from 'vitest';
import { DEFAULT_COLLECTOR_CONTEXT } from '../../src/collectors/collector.js';
import { collectorsFor, COLLECTORS, defaultFacets } from '../../src/collectors/registry.js';
import { ClusterConfig } from '../../src/config/schema.js';
import { FACET_NAMES } from '../../src/core/snapshot.js';

const CTX = { ...DEFAULT_COLLECTOR_CONTEXT, files: ['/etc/hosts'] };

describe('registry', () => {
  it('lists every facet once, in FACET_NAMES order', () => {
    expect(COLLECTORS.map((c) => c.name)).toEqual([...FACET_NAMES]);
  });

  it('a cluster without facets: collects exactly the collectors whose file says defaultEnabled', () => {
    const parsed = ClusterConfig.parse({ name: 'c', nodes: [{ name: 'a', transport: 'local' }] });
    expect(parsed.facets).toEqual(COLLECTORS.filter((c) => c.defaultEnabled).map((c) => c.name));
    expect(defaultFacets()).toEqual(parsed.facets);
    // A collector switched off by default drops out of the default (and only out of it).
    const os = COLLECTORS.find((c) => c.name === 'os');
    if (!os) throw new Error('no os collector');
    const before = os.defaultEnabled;
    Object.defineProperty(os, 'defaultEnabled', { value: false, configurable: true });
    try {
      expect(ClusterConfig.parse({ name: 'c', nodes: [{ name: 'a', transport: 'local' }] }).facets).not.toContain('os');
    } finally {
      Object.defineProperty(os, 'defaultEnabled', { value: before, configurable: true });
    }
  });

  it('collectorsFor keeps FACET_NAMES order and drops duplicates', () => {
    expect(collectorsFor(['files', 'os', 'files']).map((c) => c.name)).toEqual(['os', 'files']);
    expect(collectorsFor([])).toEqual([]);
  });

  it('command ids are unique, prefixed by the facet, and argv is absolute', () => {
    const ids = COLLECTORS.flatMap((c) => c.commands(CTX).map((s) => ({ facet: c.name, id: s.id, argv0: s.argv[0] })));
    expect(new Set(ids.map((i) => i.id)).size).toBe(ids.length);
    for (const { facet, id, argv0 } of ids) {
      expect(id.startsWith(`${facet}-`), id).toBe(true);
      expect(argv0?.startsWith('/'), id).toBe(true);
    }
  });

  it('config values reach a shell only as positional parameters', () => {
    const evil = '/etc/$(reboot)';
    for (const c of COLLECTORS) {
      for (const spec of c.commands({ ...CTX, files: [evil] })) {
        if (spec.argv[0] === '/bin/sh') {
          expect(spec.argv[1]).toBe('-c');
          expect(spec.argv[2]).not.toContain(evil);
        }
      }
    }
  });
});
