import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_COLLECTOR_CONTEXT, type CollectorContext } from '../../src/collectors/collector.js';
import {
  isPerNodeId,
  parseGroupLine,
  parseNamedOutput,
  parsePasswdLine,
  usersCollector,
  USERS_NAMED_ID,
} from '../../src/collectors/users.js';
import { isParserCrash } from '../../src/collectors/util.js';
import { DriftdConfig } from '../../src/config/schema.js';
import { compileRules } from '../../src/core/engine/rules/compile.js';
import type { FacetSnapshot } from '../../src/core/snapshot.js';
import { loadRulePacks } from '../../src/rules/load.js';
import { check } from '../core/engine/check.js';
import { snap } from '../core/engine/handmade-cluster.js';
import { failed, fixtureOutputs, ok } from './fixture-outputs.js';

const IDS = ['users-passwd', 'users-group', 'users-named'];
const NAMED: CollectorContext = {
  ...DEFAULT_COLLECTOR_CONTEXT,
  usersAccounts: ['root', '_chrony', 'hacluster', 'driftd-absent'],
  usersGroups: ['haclient', 'adm', 'driftd-absent'],
};
const SHIPPED = compileRules(loadRulePacks([], { includeShipped: true }).packs);

describe('users: real /etc/passwd, /etc/group and getent on Debian 12', () => {
  const real = fixtureOutputs('debian12-facets', IDS);

  it('every local account with uid, gid and primary group name; every group with its gid', () => {
    const facet = usersCollector.parse(real, DEFAULT_COLLECTOR_CONTEXT);
    expect(facet.status).toBe('ok');
    expect(facet.items['user.root']?.value).toBe('uid=0 gid=0(root)');
    expect(facet.items['user.sync']?.value).toBe('uid=4 gid=65534(nogroup)');
    expect(facet.items['user.hacluster']?.value).toBe('uid=102 gid=105(haclient)');
    expect(facet.items['group.haclient']?.value).toBe('gid=105');
    expect(Object.keys(facet.items).some((k) => k.startsWith('named.'))).toBe(false);
  });

  it('named accounts come from getent (critical keys), with their primary group; the unresolved one is absent', () => {
    const facet = usersCollector.parse(real, NAMED);
    expect(facet.status).toBe('ok');
    expect(facet.items['named.user.root']?.value).toBe('uid=0 gid=0(root)');
    expect(facet.items['named.user._chrony']?.value).toBe('uid=105 gid=107(_chrony)');
    expect(facet.items['named.user.hacluster']?.value).toBe('uid=102 gid=105(haclient)');
    expect(facet.items['named.group.haclient']?.value).toBe('gid=105 members=');
    expect(facet.items['named.group.adm']?.value).toBe('gid=4 members=');
    expect(facet.items['named.user.driftd-absent']).toBeUndefined();
    expect(facet.items['named.group.driftd-absent']).toBeUndefined();
    // A named account is compared once, under its critical key.
    expect(facet.items['user.root']).toBeUndefined();
    expect(facet.items['group.haclient']).toBeUndefined();
    expect(facet.items['user.daemon']?.value).toBe('uid=1 gid=1(daemon)');
  });

  it('the getent command runs only when the site names accounts, the names as positional parameters', () => {
    expect(usersCollector.commands(DEFAULT_COLLECTOR_CONTEXT).map((c) => c.id)).toEqual(['users-passwd', 'users-group']);
    const named = usersCollector.commands(NAMED).find((c) => c.id === USERS_NAMED_ID);
    expect(named?.argv.slice(0, 2)).toEqual(['/bin/sh', '-c']);
    expect(named?.argv[2]).not.toContain('hacluster');
    expect(named?.argv.slice(3)).toEqual([
      'sh',
      'root',
      '_chrony',
      'hacluster',
      'driftd-absent',
      '--groups',
      'haclient',
      'adm',
      'driftd-absent',
    ]);
  });

  it('no /etc/passwd is unsupported with the reason; a failed getent keeps the local accounts and says why', () => {
    const missing = usersCollector.parse({ ...real, 'users-passwd': failed(1, '/bin/cat: /etc/passwd: No such file or directory') }, NAMED);
    expect(missing.status).toBe('unsupported');
    expect(missing.error).toContain('/etc/passwd');
    const noGetent = usersCollector.parse({ ...real, [USERS_NAMED_ID]: failed(127, 'sh: getent: not found') }, NAMED);
    expect(noGetent.status).toBe('ok');
    expect(noGetent.meta?.named).toContain('getent');
    expect(noGetent.items['user.daemon']).toBeDefined();
  });
});

describe('users: the lines', () => {
  it('per-node ids (systemd DynamicUser, container ranges) are left out; NIS and malformed lines are skipped', () => {
    expect(isPerNodeId(61184)).toBe(true);
    expect(isPerNodeId(65534)).toBe(false);
    expect(isPerNodeId(524288)).toBe(true);
    const facet = usersCollector.parse(
      {
        'users-passwd': ok(
          'root:x:0:0:root:/root:/bin/bash\ndyn:x:61200:61200::/:/usr/sbin/nologin\n+@netgroup::::::\nbroken line\nweird:x:abc:0::/:/bin/sh\n',
        ),
        'users-group': ok('root:x:0:\n'),
      },
      DEFAULT_COLLECTOR_CONTEXT,
    );
    expect(Object.keys(facet.items)).toEqual(['user.root', 'group.root']);
    expect(facet.meta?.passwd_malformed_lines).toBe('4 5');
  });

  it('the first entry of a name wins, as NSS files does', () => {
    expect(parsePasswdLine('a:x:1:2:g:/h:/s')).toEqual({ name: 'a', uid: 1, gid: 2 });
    expect(parseGroupLine('g:x:5:b,a,a')).toEqual({ name: 'g', gid: 5, members: ['a', 'b'] });
    const facet = usersCollector.parse(
      { 'users-passwd': ok('a:x:1:1::/:/bin/sh\na:x:2:2::/:/bin/sh\n'), 'users-group': ok('') },
      DEFAULT_COLLECTOR_CONTEXT,
    );
    expect(facet.items['user.a']?.value).toBe('uid=1 gid=1(?)');
  });

  it('getent output: user, its primary group, unresolved names, groups with members', () => {
    const parsed = parseNamedOutput(
      'P pg:x:26:26::/var/lib/pgsql:/bin/bash\nG postgres:x:26:\nU ghost\nN haclient:x:90:hacluster,pg\nM nogroup\n',
    );
    expect(parsed.users.get('pg')).toBe('uid=26 gid=26(postgres)');
    expect(parsed.groups.get('haclient')).toBe('gid=90 members=hacluster,pg');
    expect(parsed.users.has('ghost')).toBe(false);
  });

  it('the config accepts account names only, never an option or shell text', () => {
    const base = { clusters: [{ name: 'c', nodes: [{ name: 'a', transport: 'local' }] }] };
    expect(DriftdConfig.safeParse({ ...base, users: { accounts: ['postgres', 'svc_app$', '_chrony'] } }).success).toBe(true);
    for (const bad of ['-x', '$(id)', 'a b', '1000', '']) {
      expect(DriftdConfig.safeParse({ ...base, users: { accounts: [bad] } }).success, bad).toBe(false);
    }
  });

  it('never throws on arbitrary passwd, group and getent text', () => {
    const line = fc.array(fc.oneof(fc.constantFrom(':', 'x', '0', '65534', '\n', 'P ', 'G ', 'N ', 'U ', '#', '+', ','), fc.string()), {
      maxLength: 30,
    });
    fc.assert(
      fc.property(line, line, line, fc.boolean(), (p, g, n, cut) => {
        const out = (parts: string[]) => ({ exitCode: 0, stdout: parts.join(''), stderr: '', truncated: cut });
        const facet = usersCollector.parse({ 'users-passwd': out(p), 'users-group': out(g), 'users-named': out(n) }, NAMED);
        expect(isParserCrash(facet)).toBe(false);
        expect(['ok', 'truncated']).toContain(facet.status);
      }),
      { numRuns: 500 },
    );
  });
});

describe('users: a uid that differs between nodes', () => {
  const base = usersCollector.parse(fixtureOutputs('debian12-facets', IDS), NAMED);
  /** The same node with the account's uid changed (the drift a useradd on another node leaves). */
  function withItem(key: string, value: string): FacetSnapshot {
    return { ...base, items: { ...base.items, [key]: { value } } };
  }

  it('a named account: critical, naming the node that differs', () => {
    const report = check(
      [
        snap('a', { users: base }),
        snap('b', { users: withItem('named.user.hacluster', 'uid=1001 gid=105(haclient)') }),
        snap('c', { users: base }),
      ],
      { rules: SHIPPED },
    );
    const f = report.findings.find((x) => x.facet === 'users');
    expect(f).toMatchObject({ key: 'named.user.hacluster', severity: 'critical', outliers: ['b'], rule: 'named-accounts' });
    expect(report.ready).toBe(false);
  });

  it('any other account: a warning', () => {
    const report = check(
      [snap('a', { users: base }), snap('b', { users: withItem('user.daemon', 'uid=2 gid=1(daemon)') }), snap('c', { users: base })],
      { rules: SHIPPED },
    );
    const f = report.findings.find((x) => x.facet === 'users');
    expect(f).toMatchObject({ key: 'user.daemon', severity: 'warning', outliers: ['b'] });
  });

  it('the same accounts on every node: no finding', () => {
    const report = check([snap('a', { users: base }), snap('b', { users: base }), snap('c', { users: base })], { rules: SHIPPED });
    expect(report.findings).toEqual([]);
  });
});
