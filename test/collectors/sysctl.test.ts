import { describe, expect, it } from 'vitest';
import { DEFAULT_COLLECTOR_CONTEXT as CTX } from '../../src/collectors/collector.js';
import { SYSCTL_COMMAND_ID, SYSCTL_VOLATILE_DENY, sysctlCollector } from '../../src/collectors/sysctl.js';
import { globToRegExp } from '../../src/collectors/util.js';
import { fixtureOutputs, ok } from './fixture-outputs.js';

const parseDir = (dir: string, ctx = CTX) => sysctlCollector.parse(fixtureOutputs(dir, [SYSCTL_COMMAND_ID]), ctx);

describe('sysctl collector on fixture dirs', () => {
  it.each([
    // debian12 ran `sysctl -a`; minbase has no procps, so the /proc/sys walk ran.
    ['debian12', 1277, 'vm', '60'],
    ['debian12-minbase', 1277, 'vm', '60'],
    ['demo/erp-a', 1277, 'erp-a', '10'],
    ['demo/erp-c', 1277, 'erp-c', '60'],
  ])('%s', (dir, count, hostname, swappiness) => {
    const facet = parseDir(dir);
    expect(facet.status).toBe('ok');
    expect(Object.keys(facet.items)).toHaveLength(count);
    expect(facet.items['kernel.hostname']).toEqual({ value: hostname, nodeSpecific: expect.any(String) });
    expect(facet.items['vm.swappiness']?.value).toBe(swappiness);
    // Tabs in values are normalised to single spaces.
    expect(facet.items['kernel.printk']?.value).toBe('4 4 1 7');
    // A multi-line value stays one item.
    expect(facet.items['kernel.core_modes']?.value).toBe('file\npipe\nsocket');
    const volatile = SYSCTL_VOLATILE_DENY.map(globToRegExp);
    expect(Object.keys(facet.items).filter((k) => volatile.some((re) => re.test(k)))).toEqual([]);
    expect(facet.items['kernel.random.boot_id']).toBeUndefined();
    expect(facet.items['fs.file-nr']).toBeUndefined();
  });

  it('sysctl -a and the /proc/sys walk give the same keys', () => {
    expect(Object.keys(parseDir('debian12').items).sort()).toEqual(Object.keys(parseDir('debian12-minbase').items).sort());
  });

  it('applies the config allow-list, then the config deny-list', () => {
    const facet = parseDir('debian12', { ...CTX, sysctlAllow: ['net.ipv4.tcp_*', 'vm.swappiness'], sysctlDeny: ['net.ipv4.tcp_r*'] });
    const keys = Object.keys(facet.items);
    expect(keys).toContain('vm.swappiness');
    expect(keys).toContain('net.ipv4.tcp_keepalive_time');
    expect(keys.filter((k) => k.startsWith('net.ipv4.tcp_r'))).toEqual([]);
    expect(keys.every((k) => k === 'vm.swappiness' || k.startsWith('net.ipv4.tcp_'))).toBe(true);
  });
});

describe('sysctl lines', () => {
  it.each([
    ['kernel.domainname = (none)', 'kernel.domainname', '(none)'],
    ['net.ipv4.ip_local_port_range = 32768\t60999', 'net.ipv4.ip_local_port_range', '32768 60999'],
    ['kernel.core_pattern = ', 'kernel.core_pattern', ''],
    ['kernel.core_pattern =', 'kernel.core_pattern', ''],
    ['net.ipv4.conf.eth0/100.forwarding = 1', 'net.ipv4.conf.eth0/100.forwarding', '1'],
  ])('%j', (line, key, value) => {
    const facet = sysctlCollector.parse({ [SYSCTL_COMMAND_ID]: ok(`${line}\n`) }, CTX);
    expect(facet.items[key]?.value).toBe(value);
  });

  it('an empty output is an error, not an empty facet', () => {
    expect(sysctlCollector.parse({ [SYSCTL_COMMAND_ID]: ok('') }, CTX)).toMatchObject({ status: 'error' });
  });

  it('a line without " = " is an error naming the line', () => {
    const facet = sysctlCollector.parse({ [SYSCTL_COMMAND_ID]: ok('a.b = 1\ngarbage\n') }, CTX);
    expect(facet.status).toBe('error');
    expect(facet.error).toContain('line 2');
  });
});
