import { describe, expect, it } from 'vitest';
import { DEFAULT_COLLECTOR_CONTEXT as CTX } from '../../src/collectors/collector.js';
import { osCollector, OS_COMMAND_IDS, parseOsRelease } from '../../src/collectors/os.js';
import { failed, fixtureOutput, fixtureOutputs, ok } from './fixture-outputs.js';

describe('os collector on full fixture dirs', () => {
  it.each([
    ['debian12', { id: 'debian', version_id: '12', pretty_name: 'Debian GNU/Linux 12 (bookworm)', arch: 'x86_64', hostname: 'vm' }],
    ['debian12-minbase', { id: 'debian', version_id: '12', pretty_name: 'Debian GNU/Linux 12 (bookworm)', arch: 'x86_64', hostname: 'vm' }],
    ['demo/erp-c', { id: 'debian', version_id: '12', pretty_name: 'Debian GNU/Linux 12 (bookworm)', arch: 'x86_64', hostname: 'erp-c' }],
  ])('%s', (dir, expected) => {
    const facet = osCollector.parse(fixtureOutputs(dir, OS_COMMAND_IDS), CTX);
    expect(facet.status).toBe('ok');
    expect(Object.keys(facet.items).sort()).toEqual(['arch', 'hostname', 'id', 'pretty_name', 'version_id']);
    for (const [key, value] of Object.entries(expected)) expect(facet.items[key]?.value).toBe(value);
    expect(facet.items.hostname?.nodeSpecific).toBeTruthy();
    expect(facet.items.id?.nodeSpecific).toBeUndefined();
  });
});

describe('os-release from RHEL-family and SUSE nodes', () => {
  it.each([
    ['rhel9', 'rhel', '9.6', 'Red Hat Enterprise Linux 9.6 (Plow)'],
    ['rocky9', 'rocky', '9.3', 'Rocky Linux 9.3 (Blue Onyx)'],
    ['sles15', 'sles', '15.6', 'SUSE Linux Enterprise Server 15 SP6'],
  ])('%s', (dir, id, versionId, pretty) => {
    const release = fixtureOutput(dir, 'os-release');
    expect(release).toBeDefined();
    // Only os-release was published for these systems; hostname and arch are the test's.
    const facet = osCollector.parse({ 'os-release': release!, 'os-hostname': ok('node1\n'), 'os-arch': ok('x86_64\n') }, CTX);
    expect(facet.status).toBe('ok');
    expect(facet.items.id?.value).toBe(id);
    expect(facet.items.version_id?.value).toBe(versionId);
    expect(facet.items.pretty_name?.value).toBe(pretty);
  });
});

describe('parseOsRelease quoting', () => {
  it.each([
    ['ID=debian', 'ID', 'debian'],
    ['ID="rhel"', 'ID', 'rhel'],
    ["NAME='Single quoted'", 'NAME', 'Single quoted'],
    ['PRETTY_NAME="A \\"quoted\\" \\$name"', 'PRETTY_NAME', 'A "quoted" $name'],
    ['REDHAT_BUGZILLA_PRODUCT_VERSION=9.6', 'REDHAT_BUGZILLA_PRODUCT_VERSION', '9.6'],
  ])('%s', (line, key, value) => {
    expect(parseOsRelease(`${line}\n`)[key]).toBe(value);
  });

  it('skips comments and non-assignments', () => {
    expect(parseOsRelease('# ID=wrong\n\nnot an assignment\nID=right\n')).toEqual({ ID: 'right' });
  });
});

describe('os collector failures', () => {
  it('missing os-release is unsupported with the reason', () => {
    const facet = osCollector.parse(
      {
        'os-release': failed(1, 'cat: /usr/lib/os-release: No such file or directory\n'),
        'os-hostname': ok('n\n'),
        'os-arch': ok('x86_64\n'),
      },
      CTX,
    );
    expect(facet.status).toBe('unsupported');
    expect(facet.error).toContain('/usr/lib/os-release');
  });

  it('a command with no recorded output is an error naming it', () => {
    const facet = osCollector.parse({ 'os-release': ok('ID=x\n'), 'os-arch': ok('x86_64\n') }, CTX);
    expect(facet.status).toBe('error');
    expect(facet.error).toContain('os-hostname');
  });
});
