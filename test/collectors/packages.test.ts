import { describe, expect, it } from 'vitest';
import { DEFAULT_COLLECTOR_CONTEXT as CTX } from '../../src/collectors/collector.js';
import { PACKAGES_COMMAND_ID, packagesCollector } from '../../src/collectors/packages.js';
import { failed, fixtureOutputs, ok } from './fixture-outputs.js';

const parseDir = (dir: string) => packagesCollector.parse(fixtureOutputs(dir, [PACKAGES_COMMAND_ID]), CTX);
const parseText = (text: string) => packagesCollector.parse({ [PACKAGES_COMMAND_ID]: ok(text) }, CTX);

describe('packages collector on fixture dirs', () => {
  it.each([
    [
      'debian12',
      'deb',
      809,
      { openssl: '3.0.19-1~deb12u2', libssl3: '3.0.19-1~deb12u2', 'openssh-server': '1:9.2p1-2+deb12u10', corosync: '3.1.7-1+deb12u2' },
    ],
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
    const changed = Object.keys(a)
      .filter((k) => a[k]?.value !== c[k]?.value)
      .sort();
    expect(changed).toEqual(['curl', 'libssl3', 'openssl', 'resource-agents']);
  });
});

describe('dpkg states from real dpkg (fixtures/debian12-dpkg-states, #23)', () => {
  it('held is installed, the interrupted upgrade and the unpacked package keep their version and are marked unfinished', () => {
    const facet = parseDir('debian12-dpkg-states');
    expect(facet.status).toBe('ok');
    expect(facet.items).toEqual({
      'fx-held': { value: '2.3-1' },
      'fx-installed': { value: '1.0-1' },
      'fx-unpacked': { value: '3.1-2' },
      'fx-upgrade': { value: '2.0-1' },
    });
    expect(facet.meta).toEqual({ format: 'deb', 'unfinished:fx-unpacked': 'unpacked', 'unfinished:fx-upgrade': 'half-configured' });
  });
});

describe('dpkg lines', () => {
  // Changed deliberately (#23): only `ii` used to count, so a held package read as missing
  // and an interrupted upgrade as removed. Now the state letter decides, as dpkg defines it.
  it('status i is installed whatever is wanted (ii, hi held, ri/pi removal pending); n and c are not installed', () => {
    const facet = parseText('ii \ta\t1.0\tamd64\nrc \tb\t2.0\tamd64\nhi \tc\t3.0\tamd64\nun \td\t\t\nri \te\t5.0\tamd64\npn \tf\t\t\n');
    expect(facet.items).toEqual({ a: { value: '1.0' }, c: { value: '3.0' }, e: { value: '5.0' } });
    expect(facet.meta).toEqual({ format: 'deb' });
  });

  it.each([
    ['iU ', 'unpacked'],
    ['iF ', 'half-configured'],
    ['iH ', 'half-installed'],
    ['iW ', 'triggers-awaited'],
    ['it ', 'triggers-pending'],
    ['hF ', 'half-configured'],
    ['iiR', 'reinstallation required'],
  ])('%j keeps the version on disk and marks the package unfinished (%s)', (status, state) => {
    const facet = parseText(`ii \ta\t1.0\tamd64\n${status}\tpacemaker\t2.1.5-1\tamd64\n`);
    expect(facet.items.pacemaker).toEqual({ value: '2.1.5-1' });
    expect(facet.meta).toEqual({ format: 'deb', 'unfinished:pacemaker': state });
  });

  it('an unknown status letter is an error naming the line, not a silent skip', () => {
    const facet = parseText('ii \ta\t1.0\tamd64\niX \tb\t2.0\tamd64\n');
    expect(facet.status).toBe('error');
    expect(facet.error).toMatch(/packages-query: line 2/);
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
  it("no dpkg-query and no rpm is unsupported, with the script's words", () => {
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

describe('package parsing cost', () => {
  // #22: keyPackages re-sorted a key's versions on every duplicate line (20k duplicate
  // lines took 57 s). Ratios measured in one run, no absolute times: a quadratic parse
  // makes 100x the input cost ~10000x; a linear one ~100x.
  const duplicates = (n: number): string => Array.from({ length: n }, (_, i) => `kmod-foo\t0\t1.${i}\t1.el9\tx86_64\n`).join('');
  const distinct = (n: number): string => Array.from({ length: n }, (_, i) => `pkg${i}\t0\t1.0\t1.el9\tx86_64\n`).join('');
  const timeOf = (text: string): number => {
    let best = Number.POSITIVE_INFINITY;
    for (let run = 0; run < 3; run++) {
      const start = performance.now();
      parseText(text);
      best = Math.min(best, performance.now() - start);
    }
    return best;
  };

  it.each([
    ['duplicate lines of one package', duplicates],
    ['distinct packages', distinct],
  ])('%s: 10x and 100x the lines cost far less than 100x and 10000x the time', (_name, make) => {
    const base = 400;
    parseText(make(base)); // warm up the JIT
    const t1 = Math.max(timeOf(make(base)), 0.5);
    const t10 = timeOf(make(base * 10));
    const t100 = timeOf(make(base * 100));
    expect(parseText(make(base * 100)).status).toBe('ok');
    // Linear gives ~10 and ~100 (sorting adds a log factor); quadratic gives ~100 and ~10000.
    expect(t10 / t1).toBeLessThan(60);
    expect(t100 / t1).toBeLessThan(1500);
  });

  it('keeps every version of a duplicated package, sorted, once per key', () => {
    const facet = parseText(duplicates(3));
    expect(facet.items).toEqual({ 'kmod-foo': { value: '1.0-1.el9 1.1-1.el9 1.2-1.el9' } });
  });
});
