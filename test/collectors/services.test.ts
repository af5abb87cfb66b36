import { describe, expect, it } from 'vitest';
import { DEFAULT_COLLECTOR_CONTEXT as CTX } from '../../src/collectors/collector.js';
import { SERVICES_COMMAND_IDS, servicesCollector } from '../../src/collectors/services.js';
import { failed, fixtureOutputs, ok } from './fixture-outputs.js';

describe('services collector on fixture dirs', () => {
  it.each([['debian12'], ['demo/erp-c']])('%s: unit-file states without a running systemd', (dir) => {
    const facet = servicesCollector.parse(fixtureOutputs(dir, SERVICES_COMMAND_IDS), CTX);
    expect(facet.status).toBe('ok');
    expect(Object.keys(facet.items)).toHaveLength(134);
    expect(facet.items['ssh.service']?.value).toBe('enabled');
    expect(facet.items['corosync.service']?.value).toBe('enabled');
    expect(facet.items['apt-daily.service']?.value).toBe('static');
    expect(facet.items['cryptdisks.service']?.value).toBe('masked');
    expect(facet.items['autovt@.service']?.value).toBe('alias');
    expect(facet.meta?.active).toMatch(/^unavailable: System has not been booted with systemd/);
  });

  it('debian12-minbase: no systemctl is unsupported', () => {
    const facet = servicesCollector.parse(fixtureOutputs('debian12-minbase', SERVICES_COMMAND_IDS), CTX);
    expect(facet).toMatchObject({ status: 'unsupported', error: expect.stringContaining('systemctl: not found') });
  });
});

describe('services with a running systemd', () => {
  it('joins enablement and active state', () => {
    const facet = servicesCollector.parse(
      {
        'services-unit-files': ok(
          'ssh.service enabled enabled\ncron.service enabled enabled\ngetty@.service enabled enabled\nfoo.service disabled enabled\n',
        ),
        'services-active': ok('ssh.service\tactive\ncron.service\tfailed\n'),
      },
      CTX,
    );
    expect(facet.items).toEqual({
      'ssh.service': { value: 'enabled active' },
      'cron.service': { value: 'enabled failed' },
      'getty@.service': { value: 'enabled' },
      'foo.service': { value: 'disabled' },
    });
    expect(facet.meta).toBeUndefined();
  });

  it('reads the two-column output of older systemd (RHEL 7)', () => {
    const facet = servicesCollector.parse(
      { 'services-unit-files': ok('sshd.service                                enabled \n'), 'services-active': ok('') },
      CTX,
    );
    expect(facet.items['sshd.service']?.value).toBe('enabled');
  });

  it('list-unit-files refused for want of systemd is unsupported', () => {
    const stderr = "System has not been booted with systemd as init system (PID 1). Can't operate.\n";
    const facet = servicesCollector.parse({ 'services-unit-files': failed(1, stderr), 'services-active': failed(1, stderr) }, CTX);
    expect(facet.status).toBe('unsupported');
  });

  it('a malformed unit-file line is an error naming the line', () => {
    const facet = servicesCollector.parse({ 'services-unit-files': ok('a.service enabled\nnonsense\n'), 'services-active': ok('') }, CTX);
    expect(facet.status).toBe('error');
    expect(facet.error).toContain('line 2');
  });
});
