import { describe, expect, it } from 'vitest';
import { DEFAULT_COLLECTOR_CONTEXT as CTX } from '../../src/collectors/collector.js';
import { PACKAGES_COMMAND_ID, packagesCollector } from '../../src/collectors/packages.js';
import { failed, fixtureOutputs, ok } from './fixture-outputs.js';

const parseDir = (dir: string) => packagesCollector.parse(fixtureOutputs(dir, [PACKAGES_COMMAND_ID]), CTX);
const parseText = (text: string) => packagesCollector.parse({ [PACKAGES_COMMAND_ID]: ok(text) }, CTX);

describe('packages collector on fixture dirs', () => {
  it.each([
    ['debian12', 'deb', 809, { openssl: '3.0.19-1~deb12u2', libssl3: '3.0.19-1~deb12u2', 'openssh-server': '1:9.2p1-2+deb12u10', corosync: '3.1.7-1+deb12u2' }],
    ['debian12-minbase', 'deb', 88, { 'base-files': '12.4+deb12u15', dpkg: '1.21.23', libc6: '2.36-9+deb12u14' }],
    ['demo/erp-a', 'deb', 809, { openssl: '3.0.19-1~deb12u2', curl: '7.88.1-10+deb12u14' }],
    ['demo/erp-c', 'deb', 807, { openssl: '3.0.17-1~deb12u2', libssl3: '3.0.17-1~deb12u2' }],
    ['rhel9', 'rpm', 18, { dbus: '1:1.12.20-6.el9', bash: '5.1.8-5.el9', kernel: '5.14.0-162.6.1.el9_1 5.14.0-70.13.1.el9_0' }],
    ['rhel8-multiarch', 'rpm', 18, { 'glibc.x86_64': '2.28-211.el8', 'glibc.i686': '2.28-211.el8', gmp: '1:6.1.2-10.el8' }],
    ['centos-stream9', 'rpm', 59, { dracut: '057-21.git20230214.el9', 'rpm-libs': '4.16.1.3-22.el9', 'dbus-broker': '28-7.el9' }],
    ['centos7', 'rpm', 37, { 'yum-plugin-fastestmirror': '1.1.31-54.el7_8', basesystem: '10.0-7.el7.centos' }],
  ] as const)('%s', (dir, format, count, expected) => {
    const facet = parseDir(dir);
    expect(facet.status).toBe('ok');
    expect(facet.meta?.format).toBe(format);
    expect(Object.keys(facet.items)).toHaveLength(count);
    for (const [name, version] of Object.entries(expected)) expect(facet.items[name]?.value).toBe(version);
  });

  it('erp-c drifts from erp-a exactly where the fixture was edited', () => {
    const a = parseDir('demo/erp-a').items;
    const c = parseDir('demo/erp-c').items;
    const changed = Object.keys(a).filter((k) => a[k]?.value !== c[k]?.value).sort();
    expect(changed).toEqual(['curl', 'libssl3', 'openssl', 'resource-agents']);
  });
});

describe('dpkg lines', () => {
  it('keeps only ii packages', () => {
    const facet = parseText('ii \ta\t1.0\tamd64\nrc \tb\t2.0\tamd64\niU \tc\t3.0\tamd64\n');
    expect(Object.keys(facet.items)).toEqual(['a']);
  });

  it('names a Multi-Arch: same package by arch only when several arches are installed', () => {
    const facet = parseText('ii \tlibc6:amd64\t2.36-9\tamd64\nii \tlibc6:i386\t2.36-9\ti386\nii \tzlib1g:amd64\t1:1.2.13\tamd64\n');
    expect(facet.items).toEqual({
      'libc6:amd64': { value: '2.36-9' },
      'libc6:i386': { value: '2.36-9' },
      zlib1g: { value: '1:1.2.13' },
    });
  });
});

describe('rpm lines', () => {
  it.each([
    ['tab format, epoch 0 omitted', 'bash\t0\t5.1.8\t9.el9\tx86_64\n', 'bash', '5.1.8-9.el9'],
    ['tab format, epoch kept', 'vim-common\t2\t8.2.2637\t20.el9_1\tx86_64\n', 'vim-common', '2:8.2.2637-20.el9_1'],
    ['gpg-pubkey without arch', 'gpg-pubkey\t0\tfd431d51\t4ae0493b\t(none)\n', 'gpg-pubkey', 'fd431d51-4ae0493b'],
    ['plain rpm -qa', 'python3-dnf-plugins-core-4.3.0-4.el9.noarch\n', 'python3-dnf-plugins-core', '4.3.0-4.el9'],
    ['plain rpm -qa without arch', 'gpg-pubkey-fd431d51-4ae0493b\n', 'gpg-pubkey', 'fd431d51-4ae0493b'],
  ])('%s', (_name, text, pkg, version) => {
    const facet = parseText(text);
    expect(facet.status).toBe('ok');
    expect(facet.meta?.format).toBe('rpm');
    expect(facet.items[pkg]?.value).toBe(version);
  });
});

describe('packages failures', () => {
  it('no dpkg-query and no rpm is unsupported, with the script\'s words', () => {
    const facet = packagesCollector.parse(
      { [PACKAGES_COMMAND_ID]: failed(127, 'packages: neither /usr/bin/dpkg-query nor rpm found\n') },
      CTX,
    );
    expect(facet).toMatchObject({ status: 'unsupported', error: expect.stringContaining('neither') });
  });

  it('a malformed line is an error naming the command and line', () => {
    const facet = parseText('ii \ta\t1.0\tamd64\nii \tb\t2.0\n');
    expect(facet.status).toBe('error');
    expect(facet.error).toMatch(/packages-query: line 2/);
  });

  it('a cut output is truncated, without the partial last line', () => {
    const facet = packagesCollector.parse(
      { [PACKAGES_COMMAND_ID]: { exitCode: null, stdout: 'ii \ta\t1.0\tamd64\nii \tb\t2.', stderr: '', truncated: true, error: 'cap' } },
      CTX,
    );
    expect(facet.status).toBe('truncated');
    expect(Object.keys(facet.items)).toEqual(['a']);
  });
});
