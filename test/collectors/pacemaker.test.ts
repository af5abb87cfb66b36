import { SBD_SCRIPT } from '../../src/collectors/pacemaker-sbd.js';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CommandOutput } from '../../src/collectors/collector.js';
import { DEFAULT_COLLECTOR_CONTEXT } from '../../src/collectors/collector.js';
import { PACEMAKER_CIB_COMMAND, PACEMAKER_CIB_SCRIPT, pacemakerCollector } from '../../src/collectors/pacemaker.js';
import { AGENTS_COMMAND, AGENTS_SCRIPT, parseAgentListing } from '../../src/collectors/pacemaker-agents.js';
import { agentListing, agentPresence, listingNamesFor } from '../../src/core/agent-presence.js';
import { referencedAgents } from '../../src/core/engine/preconditions.js';
import type { FacetSnapshot } from '../../src/core/snapshot.js';
import { CIB_META_KEY, isRuntimeMeta } from '../../src/core/simulate/cib-meta.js';
import { FIXTURES, failed, fixtureOutputs, ok } from './fixture-outputs.js';

const DIR = join(FIXTURES, 'cluster', 'pacemaker');
const CTX = DEFAULT_COLLECTOR_CONTEXT;

function cibText(file: string): string {
  return readFileSync(join(DIR, file), 'utf8');
}

function parseCib(text: string, stderr = 'driftd: source=cibadmin\n'): FacetSnapshot {
  return pacemakerCollector.parse({ [PACEMAKER_CIB_COMMAND]: { ...ok(text), stderr } }, CTX);
}

function withoutRuntime(facet: FacetSnapshot): FacetSnapshot {
  const meta = Object.fromEntries(Object.entries(facet.meta ?? {}).filter(([key]) => !isRuntimeMeta('pacemaker', key)));
  return { ...facet, meta };
}

function values(facet: FacetSnapshot): Record<string, string> {
  return Object.fromEntries(Object.entries(facet.items).map(([k, v]) => [k, v.value]));
}

describe('pacemaker collector: commands', () => {
  it('runs constant scripts with an absolute shell: the CIB under sudo, the SBD settings without', () => {
    const specs = pacemakerCollector.commands(CTX);
    expect(specs).toHaveLength(3);
    expect(specs[1]).toEqual({ id: 'pacemaker-sbd', argv: ['/bin/sh', '-c', SBD_SCRIPT], maxBytes: 256 * 1024 });
    expect(specs[2]).toEqual({ id: 'pacemaker-agents', argv: ['/bin/sh', '-c', AGENTS_SCRIPT], maxBytes: 1024 * 1024 });
    expect(specs[0]?.id).toBe('pacemaker-cib');
    expect(specs[0]?.argv).toEqual(['/bin/sh', '-c', PACEMAKER_CIB_SCRIPT]);
    expect(specs[0]?.sudo).toBe(true);
    expect(PACEMAKER_CIB_SCRIPT).toContain('/usr/sbin/cibadmin --query --local');
    expect(PACEMAKER_CIB_SCRIPT).toContain('/var/lib/pacemaker/cib/cib.xml');
  });
});

describe('pacemaker collector: every fixture', () => {
  it.each([
    [
      'crmsh-history-test-xen-d-cib.xml',
      17,
      { 'resource.s-libvirt': 'stonith:external/libvirt', 'constraint.d1-pref': 'location(node=xen-d,rsc=d1,score=100)' },
    ],
    ['crmsh-history-test-xen-e-cib.xml', 17, { 'resource.d1.op.monitor.5s': 'timeout=30s', 'node.xen-e': 'id=xen-e type=normal' }],
    ['cibadmin-2.1.5-query-xen-d.txt', 17, { 'property.no-quorum-policy': 'ignore', 'cib.validate-with': 'pacemaker-1.2' }],
    ['handmade-xen-d-param-changed-cib.xml', 17, { 'resource.s-libvirt.param.reset_method': 'off' }],
    ['handmade-xen-d-volatile-only-changed-cib.xml', 17, { 'resource.s-libvirt.param.reset_method': 'reboot' }],
    ['crmsh-cibtests-001.exp.xml', 3, { 'resource.rsc_dummy': 'ocf:heartbeat:Dummy', 'resource.rsc_dummy.op.monitor.30': '(defaults)' }],
    ['crmsh-cibtests-002.exp.xml', 6, {}],
    ['crmsh-cibtests-003.exp.xml', 7, {}],
    [
      'crmsh-cibtests-004.exp.xml',
      7,
      { 'clone.testfs-clone': 'testfs', 'clone.testfs-clone.meta.interleave': 'true', 'resource.testfs.param.fake': 'hello' },
    ],
    [
      'crmsh-testcases-confbasic-xml.exp.xml',
      61,
      {
        'property.maintenance-mode': 'true',
        'group.g1': 'd1 d2',
        'master.m5': 's5',
        // The operations of s5 are an id-ref to d1's: resolved, not left as a reference.
        'resource.s5.op.monitor.120m': 'OCF_CHECK_LEVEL=10',
        'resource.d2.op.monitor.60s': 'role=Started timeout=30s',
        'node.node1.attr.mem': '16G',
        'node.node2.utilization.cpu': '4',
        'constraint.c2': 'colocation(rsc=m5,rsc-role=Master,score=INFINITY,with-rsc=d1,with-rsc-role=Started)',
        'constraint.ticket-B_m6_m5': 'ticket(loss-policy=fence,ticket=ticket-B){resource_set(){resource_ref(id=m6);resource_ref(id=m5)}}',
        'constraint.l6': 'location(rsc=m5){rule(score=100){expression(attribute=#uname,operation=eq,value=node1)}}',
        'fencing.node2.2': 'st2',
        'rsc_defaults.failure-timeout': '10m',
        'op_defaults.record-pending': 'true',
      },
    ],
    [
      'clusterlabs-cts-scheduler-bundle-interleave-start.xml',
      37,
      {
        'cib.validate-with': 'pacemaker-3.7',
        'bundle.base-bundle': 'base',
        'bundle.base-bundle.podman': 'podman(image=localhost/pcmktest:base,replicas=3)',
        'resource.base.op.monitor.15s': 'role=Promoted timeout=15s',
        'resource.Fencing.param.key_file': '/etc/pacemaker/fence_xvm.key',
        // A multi-line start tag in the source.
        'constraint.promoted-app-with-promoted-base':
          'colocation(rsc=app-bundle,rsc-role=Promoted,score=INFINITY,with-rsc=base-bundle,with-rsc-role=Promoted)',
      },
    ],
  ] as const)('%s: %i items', (file, count, expected) => {
    const facet = parseCib(cibText(file));
    expect(facet.error).toBeUndefined();
    expect(facet.status).toBe('ok');
    expect(Object.keys(facet.items)).toHaveLength(count);
    expect(values(facet)).toMatchObject(expected);
    for (const [key, item] of Object.entries(facet.items)) {
      expect(item.nodeSpecific, key).toBeUndefined();
      expect(key).not.toMatch(/epoch|num_updates|cib-last-written|dc-uuid|have-quorum|crm_feature_set|dc-version|last-lrm-refresh/);
    }
  });

  it('records where the CIB came from', () => {
    const facet = parseCib(cibText('crmsh-history-test-xen-d-cib.xml'), 'driftd: source=/var/lib/pacemaker/cib/cib.xml\n');
    expect(facet.meta?.source).toBe('/var/lib/pacemaker/cib/cib.xml');
  });
});

describe('pacemaker collector: volatile attributes do not count', () => {
  it('two real nodes whose CIBs differ only in cib-last-written give identical items', () => {
    const d = cibText('crmsh-history-test-xen-d-cib.xml');
    const e = cibText('crmsh-history-test-xen-e-cib.xml');
    expect(d).not.toBe(e);
    expect(parseCib(e)).toEqual(parseCib(d));
  });

  it('epoch, counters, origins, quorum, DC, feature set, dc-version, last-lrm-refresh and status: identical items', () => {
    const base = parseCib(cibText('crmsh-history-test-xen-d-cib.xml'));
    const changed = parseCib(cibText('handmade-xen-d-volatile-only-changed-cib.xml'));
    // The CIB kept for failover simulation (meta `cib`) is runtime state and differs; nothing compared does.
    expect(base.meta?.[CIB_META_KEY]).toContain('<node_state');
    expect(changed.meta?.[CIB_META_KEY]).toBeUndefined();
    expect(withoutRuntime(changed)).toEqual(withoutRuntime(base));
  });

  it('cibadmin --query output and the on-disk file of the same CIB give identical items', () => {
    expect(parseCib(cibText('cibadmin-2.1.5-query-xen-d.txt'))).toEqual(parseCib(cibText('crmsh-history-test-xen-d-cib.xml')));
  });

  it('a changed resource parameter changes exactly that item', () => {
    const base = values(parseCib(cibText('crmsh-history-test-xen-d-cib.xml')));
    const changed = values(parseCib(cibText('handmade-xen-d-param-changed-cib.xml')));
    const differing = Object.keys({ ...base, ...changed }).filter((k) => base[k] !== changed[k]);
    expect(differing).toEqual(['resource.s-libvirt.param.reset_method']);
  });

  it('attribute order and whitespace inside the configuration do not matter', () => {
    const a =
      '<cib validate-with="pacemaker-3.0"><configuration><crm_config/><nodes/><resources><primitive id="ip" class="ocf" provider="heartbeat" type="IPaddr2"><instance_attributes id="ip-ia"><nvpair id="ip-ia-ip" name="ip" value="10.0.0.20"/></instance_attributes></primitive></resources><constraints><rsc_location id="l" rsc="ip" node="n1" score="100"/></constraints></configuration></cib>';
    const b = `<cib validate-with="pacemaker-3.0">
      <configuration>
        <crm_config/>
        <nodes/>
        <resources>
          <primitive type="IPaddr2" provider="heartbeat" class="ocf" id="ip">
            <instance_attributes id="other-generated-id">
              <nvpair value="10.0.0.20" name="ip" id="x"/>
            </instance_attributes>
          </primitive>
        </resources>
        <constraints><rsc_location score="100" node="n1" rsc="ip" id="l"/></constraints>
      </configuration>
    </cib>`;
    expect(parseCib(b)).toEqual(parseCib(a));
  });
});

describe('pacemaker collector: secrets', () => {
  it('keeps fence passwords comparable but never stores them', () => {
    const cib = (password: string): string =>
      `<cib><configuration><resources><primitive id="f" class="stonith" type="fence_ipmilan"><instance_attributes id="f-ia"><nvpair id="f-p" name="passwd" value="${password}"/><nvpair id="f-l" name="login" value="admin"/></instance_attributes></primitive></resources></configuration></cib>`;
    const one = values(parseCib(cib('s3cret')));
    const same = values(parseCib(cib('s3cret')));
    const other = values(parseCib(cib('different')));
    expect(one['resource.f.param.passwd']).toMatch(/^redacted:sha256:[0-9a-f]{16}$/);
    expect(JSON.stringify(one)).not.toContain('s3cret');
    expect(one['resource.f.param.passwd']).toBe(same['resource.f.param.passwd']);
    expect(one['resource.f.param.passwd']).not.toBe(other['resource.f.param.passwd']);
    expect(one['resource.f.param.login']).toBe('admin');
  });
});

describe('pacemaker collector: unsupported, errors, truncation', () => {
  it('a node without cibadmin answer and without cib.xml is unsupported, with the reason', () => {
    const facet = pacemakerCollector.parse(
      { [PACEMAKER_CIB_COMMAND]: failed(3, 'driftd: unsupported: no answer from cibadmin and no cib.xml on disk\n') },
      CTX,
    );
    expect(facet).toEqual({ status: 'unsupported', items: {}, error: 'pacemaker-cib: no answer from cibadmin and no cib.xml on disk' });
  });

  it('an unreadable cib.xml is an error naming the command', () => {
    const facet = pacemakerCollector.parse(
      {
        [PACEMAKER_CIB_COMMAND]: failed(
          1,
          'driftd: source=/var/lib/pacemaker/cib/cib.xml\ncat: /var/lib/pacemaker/cib/cib.xml: Permission denied\n',
        ),
      },
      CTX,
    );
    expect(facet.status).toBe('error');
    expect(facet.error).toBe('pacemaker-cib: exit 1: cat: /var/lib/pacemaker/cib/cib.xml: Permission denied');
  });

  it('malformed XML is an error naming the line', () => {
    const facet = parseCib('<cib>\n  <configuration>\n    <nodes>\n  </configuration>\n</cib>\n');
    expect(facet).toEqual({
      status: 'error',
      items: {},
      error: 'pacemaker-cib (cibadmin): line 4, column 3: end tag </configuration> does not match <nodes> opened at line 3',
    });
  });

  it.each([
    ['<status/>', 'pacemaker-cib (cibadmin): line 1: root element is <status>, not <cib>'],
    ['<cib><status/></cib>', 'pacemaker-cib (cibadmin): line 1: <cib> has no <configuration>'],
    [
      '<cib><configuration>\n<resources>\n<primitive class="ocf" type="Dummy"/></resources></configuration></cib>',
      'pacemaker-cib (cibadmin): line 3: <primitive> without an id',
    ],
  ])('a CIB of the wrong shape is an error: %s', (text, error) => {
    expect(parseCib(text)).toEqual({ status: 'error', items: {}, error });
  });

  it('a cut CIB is truncated, never read as an empty configuration', () => {
    const facet = pacemakerCollector.parse(
      { [PACEMAKER_CIB_COMMAND]: { ...ok(cibText('crmsh-history-test-xen-d-cib.xml').slice(0, 900)), truncated: true } },
      CTX,
    );
    expect(facet.status).toBe('truncated');
    expect(facet.items).toEqual({});
  });

  it('a missing recording is an error, not an empty CIB', () => {
    expect(pacemakerCollector.parse({}, CTX)).toEqual({ status: 'error', items: {}, error: 'pacemaker-cib: no output recorded' });
  });
});

describe('agents present on the node', () => {
  const listing = parseAgentListing(
    [
      'ocf:heartbeat:IPaddr2',
      'ocf:custom:thing',
      'stonith:fence_ipmilan',
      'stonith:external/libvirt',
      'lsb:o2cb',
      'unit:nginx.service',
      'unit:getty@.service',
      'unit:foo.socket',
      'garbage line',
      '',
    ].join('\n'),
  ).names;

  it.each([
    ['ocf:heartbeat:IPaddr2', '/usr/lib/ocf/resource.d/heartbeat/IPaddr2'],
    ['ocf:custom:thing', '/usr/lib/ocf/resource.d/custom/thing'],
    ['ocf:custom:other', null],
    ['ocf:heartbeat', undefined],
    ['stonith:fence_ipmilan', '/usr/sbin/fence_ipmilan'],
    ['stonith:fence_xvm', null],
    ['stonith:external/libvirt', 'cluster-glue plugin external/libvirt'],
    ['lsb:o2cb', '/etc/init.d/o2cb'],
    ['lsb:nginx', null],
    ['systemd:nginx', 'nginx.service'],
    ['systemd:foo.socket', 'foo.socket'],
    ['systemd:getty@tty1', 'getty@.service'],
    ['systemd:apache2', null],
    ['service:nginx', 'nginx.service'],
    ['service:o2cb', '/etc/init.d/o2cb'],
    ['upstart:foo', undefined],
  ])('%s -> %s', (agent, evidence) => {
    expect(agentPresence(agent, listing)).toBe(evidence);
  });

  it('the collector keeps, sorted, the present agents this CIB references; a failed or cut listing adds nothing', () => {
    // The real confbasic CIB references ocf:heartbeat:Delay, ocf:pacemaker:Dummy, ocf:pacemaker:Stateful and stonith:ssh.
    const cib = cibText('crmsh-testcases-confbasic-xml.exp.xml');
    const parse = (agents: CommandOutput) =>
      pacemakerCollector.parse(
        { [PACEMAKER_CIB_COMMAND]: { ...ok(cib), stderr: 'driftd: source=cibadmin\n' }, [AGENTS_COMMAND]: agents },
        CTX,
      );
    const facet = parse(ok('unit:b.service\nstonith:ssh\nocf:x:y\nocf:pacemaker:Dummy\n'));
    expect(facet.meta?.agents).toBe('ocf:pacemaker:Dummy stonith:ssh');
    expect([...(agentListing(facet.meta) ?? [])]).toEqual(['ocf:pacemaker:Dummy', 'stonith:ssh']);
    // Listed, none of them there: an empty listing, which is not "not collected".
    expect(parse(ok('unit:b.service\n')).meta?.agents).toBe('');
    expect(agentListing(parse(ok('')).meta)).toEqual(new Set());
    expect(parse(failed(1, 'boom')).meta?.agents).toBeUndefined();
    expect(parse({ ...ok('ocf:x:y\n'), truncated: true }).meta?.agents).toBeUndefined();
  });

  it.each([
    ['ocf:heartbeat:IPaddr2', ['ocf:heartbeat:IPaddr2']],
    ['stonith:external/ssh', ['stonith:external/ssh']],
    ['systemd:getty@tty1', ['unit:getty@tty1.service', 'unit:getty@.service']],
    ['service:nginx', ['unit:nginx.service', 'lsb:nginx']],
    ['lsb:o2cb', ['lsb:o2cb']],
    ['upstart:x', []],
  ])('listing names that serve %s', (agent, names) => {
    expect(listingNamesFor(agent)).toEqual(names);
  });

  const onThisMachine = ((): Set<string> => {
    try {
      return parseAgentListing(execFileSync('/bin/sh', ['-c', AGENTS_SCRIPT], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }))
        .names;
    } catch {
      return new Set();
    }
  })();
  const ipaddr2 = '/usr/lib/ocf/resource.d/heartbeat/IPaddr2';
  const ownerOfIpaddr2 = ((): string => {
    try {
      return execFileSync('/usr/bin/dpkg', ['-S', ipaddr2], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    } catch {
      return '';
    }
  })();
  if (!ownerOfIpaddr2) console.warn(`SKIP: ${ipaddr2} is not owned by any package: apt-get install resource-agents`);
  it.skipIf(!ownerOfIpaddr2)(`the OCF path it names is where Debian installs it (needs Debian package resource-agents)`, () => {
    expect(ownerOfIpaddr2).toMatch(/^resource-agents: /);
    // ... and the listing script, run here for real, finds it where the CIB names it.
    expect(agentPresence('ocf:heartbeat:IPaddr2', onThisMachine)).toBe(ipaddr2);
  });
});

describe('pacemaker collector: the real script on this host', () => {
  const haveSh = existsSync('/bin/sh');
  it.skipIf(!haveSh)('answers unsupported or ok, never an internal failure', () => {
    let stdout: string;
    let stderr = '';
    let exitCode = 0;
    try {
      stdout = execFileSync('/bin/sh', ['-c', PACEMAKER_CIB_SCRIPT], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      const e = error as { status: number; stdout: string; stderr: string };
      exitCode = e.status;
      stdout = e.stdout;
      stderr = e.stderr;
    }
    const facet = pacemakerCollector.parse({ [PACEMAKER_CIB_COMMAND]: { exitCode, stdout, stderr, truncated: false } }, CTX);
    // No cluster runs on a build host: no answer from cibadmin, no cib.xml.
    if (!existsSync('/var/lib/pacemaker/cib/cib.xml')) {
      expect(facet).toEqual({ status: 'unsupported', items: {}, error: 'pacemaker-cib: no answer from cibadmin and no cib.xml on disk' });
    } else {
      expect(['ok', 'error']).toContain(facet.status);
    }
  });
});

describe('pacemaker collector: never throws', () => {
  const xmlish = fc
    .array(
      fc.oneof(
        fc.constantFrom(
          '<cib>',
          '</cib>',
          '<configuration>',
          '</configuration>',
          '<resources>',
          '</resources>',
          '<primitive id="p" class="ocf" type="X">',
          '</primitive>',
          '<nvpair name="a" value="b"/>',
          '<instance_attributes id-ref="p"/>',
          '<op name="monitor"/>',
          '<group id="g">',
          '</group>',
          '<rsc_location id="l"/>',
          '<constraints>',
          '</constraints>',
          '<fencing-level/>',
          '<fencing-topology>',
          '</fencing-topology>',
          '&amp;',
          '"',
          '<',
        ),
        fc.string({ maxLength: 5 }),
      ),
      { maxLength: 40 },
    )
    .map((parts) => parts.join(''));
  const output: fc.Arbitrary<CommandOutput> = fc.record({
    exitCode: fc.oneof(fc.constant(0), fc.constant(null), fc.integer({ min: -1, max: 255 })),
    stdout: fc.oneof(xmlish, fc.string({ unit: 'binary' })),
    stderr: fc.oneof(fc.constant(''), fc.string(), fc.constant('driftd: unsupported: x')),
    truncated: fc.boolean(),
  });

  it('on hostile nesting of containers (error or ok, never an exception)', () => {
    const depth = 30_000;
    const xml = `<cib><configuration><resources>${'<group id="g">'.repeat(depth)}${'</group>'.repeat(depth)}</resources></configuration></cib>`;
    const facet = parseCib(xml);
    expect(['ok', 'error']).toContain(facet.status);
  });

  it('on arbitrary outputs, and answers a known status with a reason when not ok', () => {
    fc.assert(
      fc.property(output, (out) => {
        const facet = pacemakerCollector.parse({ [PACEMAKER_CIB_COMMAND]: out }, CTX);
        expect(['ok', 'unsupported', 'error', 'truncated']).toContain(facet.status);
        if (facet.status !== 'ok') expect(facet.error).toBeTruthy();
      }),
      { numRuns: 1500 },
    );
  });
});

describe('pacemaker collector: the demo cluster (real cibadmin 2.1.5 on a file CIB)', () => {
  const facets = Object.fromEntries(
    ['erp-a', 'erp-b', 'erp-c'].map((n) => [n, pacemakerCollector.parse(fixtureOutputs(`demo/${n}`, [PACEMAKER_CIB_COMMAND]), CTX)]),
  );

  it('erp-a and erp-b read the live CIB, erp-c its stale on-disk copy', () => {
    // The CIB version (admin_epoch.epoch.num_updates) is what Pacemaker keeps the newest of.
    expect(facets['erp-a']?.meta).toEqual({ source: 'cibadmin', 'cib-version': '0.15.0' });
    expect(facets['erp-b']?.meta).toEqual({ source: 'cibadmin', 'cib-version': '0.15.0' });
    expect(facets['erp-c']?.meta).toEqual({ source: '/var/lib/pacemaker/cib/cib.xml', 'cib-version': '0.14.0' });
    expect(facets['erp-b']?.items).toEqual(facets['erp-a']?.items);
    expect(Object.keys(facets['erp-a']?.items ?? {})).toHaveLength(30);
  });

  it('erp-c differs in exactly one resource parameter', () => {
    const a = values(facets['erp-a'] as FacetSnapshot);
    const c = values(facets['erp-c'] as FacetSnapshot);
    expect(Object.keys({ ...a, ...c }).filter((k) => a[k] !== c[k])).toEqual(['resource.erp-ip.param.cidr_netmask']);
    expect([a['resource.erp-ip.param.cidr_netmask'], c['resource.erp-ip.param.cidr_netmask']]).toEqual(['24', '16']);
  });

  it('references the agents the precondition check must find on every node', () => {
    expect(referencedAgents([facets['erp-a'] as FacetSnapshot])).toEqual([
      'ocf:heartbeat:Filesystem',
      'ocf:heartbeat:IPaddr2',
      'ocf:linbit:drbd',
    ]);
    expect(values(facets['erp-a'] as FacetSnapshot)).toMatchObject({
      'group.erp-group': 'erp-fs erp-ip',
      'clone.drbd-erpdata-clone': 'drbd-erpdata',
      'clone.drbd-erpdata-clone.meta.promotable': 'true',
      'resource.drbd-erpdata.op.monitor.29s': 'role=Promoted timeout=20s',
      'constraint.erp-group-with-promoted-drbd':
        'colocation(rsc=erp-group,score=INFINITY,with-rsc=drbd-erpdata-clone,with-rsc-role=Promoted)',
      'rsc_defaults.resource-stickiness': '100',
      // #23: stored under the Pacemaker 3 name (the CIB sets only the old one).
      'property.fencing-watchdog-timeout': '10s',
    });
  });
});

describe('effective values as Pacemaker computes them (#23; hand-made CIBs)', () => {
  const cib = (configuration: string) => `<cib validate-with="pacemaker-3.10"><configuration>${configuration}</configuration></cib>`;
  const props = (sets: string) => cib(`<crm_config>${sets}</crm_config>`);

  it('a Pacemaker 3 name is read first, the old name only when it is absent', () => {
    expect(
      values(parseCib(props('<cluster_property_set id="c"><nvpair id="1" name="fencing-enabled" value="false"/></cluster_property_set>'))),
    ).toEqual({
      'cib.validate-with': 'pacemaker-3.10',
      'property.fencing-enabled': 'false',
    });
    const both = parseCib(
      props(
        '<cluster_property_set id="c"><nvpair id="1" name="stonith-enabled" value="false"/><nvpair id="2" name="fencing-enabled" value="true"/></cluster_property_set>',
      ),
    );
    expect(both.items['property.fencing-enabled']).toEqual({ value: 'true' });
    expect(both.items['property.stonith-enabled']?.value).toBe('false');
    expect(both.items['property.stonith-enabled']?.source).toMatch(/Pacemaker 3 reads fencing-enabled/);
    const legacy = parseCib(
      props('<cluster_property_set id="c"><nvpair id="1" name="stonith-timeout" value="90s"/></cluster_property_set>'),
    );
    expect(legacy.items['property.fencing-timeout']).toEqual({
      value: '90s',
      source: 'legacy name stonith-timeout (read because fencing-timeout is not set)',
    });
    expect(legacy.items['property.stonith-timeout']).toBeUndefined();
  });

  it('the set with the higher score wins; cib-bootstrap-options comes first among properties; rule sets stay apart', () => {
    const facet = parseCib(
      props(
        '<cluster_property_set id="low" score="10"><nvpair id="1" name="no-quorum-policy" value="ignore"/></cluster_property_set>' +
          '<cluster_property_set id="high" score="INFINITY"><nvpair id="2" name="no-quorum-policy" value="freeze"/><nvpair id="3" name="batch-limit" value="5"/></cluster_property_set>' +
          '<cluster_property_set id="cib-bootstrap-options" score="-100"><nvpair id="4" name="batch-limit" value="7"/></cluster_property_set>' +
          '<cluster_property_set id="night" score="1000000"><rule id="r" score="0"><date_expression id="d" operation="gt" start="2030-01-01"/></rule><nvpair id="5" name="no-quorum-policy" value="stop"/></cluster_property_set>',
      ),
    );
    expect(values(facet)).toMatchObject({
      'property.no-quorum-policy': 'freeze',
      'property.no-quorum-policy@low': 'ignore',
      'property.no-quorum-policy@night': 'stop',
      'property.batch-limit': '7',
      'property.batch-limit@high': '5',
      'property@night.rule': 'rule(score=0){date_expression(operation=gt,start=2030-01-01)}',
      'property@low.score': '10',
    });
    expect(facet.items['property.no-quorum-policy@night']?.source).toMatch(/live state/);
  });

  it('a primitive inherits the instance attributes of its template, group and clone; its own win', () => {
    const facet = parseCib(
      cib(
        '<resources>' +
          '<template id="tpl" class="ocf" provider="heartbeat" type="IPaddr2"><instance_attributes id="ti"><nvpair id="t1" name="nic" value="eth0"/><nvpair id="t2" name="cidr_netmask" value="8"/></instance_attributes></template>' +
          '<clone id="cl"><instance_attributes id="ci"><nvpair id="c1" name="ip" value="10.0.0.9"/><nvpair id="c2" name="arp_count" value="9"/></instance_attributes>' +
          '<group id="grp"><instance_attributes id="gi"><nvpair id="g1" name="cidr_netmask" value="24"/><nvpair id="g2" name="arp_count" value="5"/></instance_attributes>' +
          '<primitive id="vip" template="tpl"><instance_attributes id="vi"><nvpair id="v1" name="ip" value="10.0.0.1"/></instance_attributes></primitive>' +
          '</group></clone></resources>',
      ),
    );
    expect(facet.items['resource.vip.param.ip']).toEqual({ value: '10.0.0.1' });
    expect(facet.items['resource.vip.param.nic']).toEqual({ value: 'eth0', source: 'inherited from template tpl' });
    expect(facet.items['resource.vip.param.cidr_netmask']).toEqual({ value: '8', source: 'inherited from template tpl' });
    expect(facet.items['resource.vip.param.arp_count']).toEqual({ value: '5', source: 'inherited from group grp' });
    expect(facet.items['resource.vip.param.ip@ci']).toEqual({ value: '10.0.0.9', source: 'inherited from clone cl' });
    expect(facet.items['resource.vip.param.cidr_netmask@gi']).toEqual({ value: '24', source: 'inherited from group grp' });
  });
});

describe('inherited sets keep their rule and score (#23; hand-made CIB)', () => {
  it('a group set under a rule reaches the primitive as a rule-conditioned value with its rule', () => {
    const text =
      '<cib><configuration><resources><group id="g"><instance_attributes id="gi" score="5"><rule id="r" score="0"><date_expression id="d" operation="gt" start="2030-01-01"/></rule><nvpair id="n" name="nic" value="eth9"/></instance_attributes><primitive id="p" class="ocf" provider="heartbeat" type="IPaddr2"/></group></resources></configuration></cib>';
    const items = parseCib(text).items;
    expect(items['resource.p.param.nic@gi']).toEqual({ value: 'eth9', source: 'inherited from group g (under a rule)' });
    expect(items['resource.p.param@gi.rule']?.value).toBe('rule(score=0){date_expression(operation=gt,start=2030-01-01)}');
    expect(items['resource.p.param@gi.score']?.value).toBe('5');
    expect(items['resource.p.param.nic']).toBeUndefined();
  });
});
