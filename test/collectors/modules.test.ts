import { describe, expect, it } from 'vitest';
import { DEFAULT_COLLECTOR_CONTEXT as CTX } from '../../src/collectors/collector.js';
import { MODULES_COMMAND_IDS, modulesCollector, NO_VERSION } from '../../src/collectors/modules.js';
import { failed, fixtureOutput, fixtureOutputs, ok } from './fixture-outputs.js';

describe('modules collector', () => {
  it.each([['debian12'], ['debian12-minbase'], ['demo/erp-b']])('%s: no /proc/modules is unsupported, saying so', (dir) => {
    const facet = modulesCollector.parse(fixtureOutputs(dir, MODULES_COMMAND_IDS), CTX);
    expect(facet.status).toBe('unsupported');
    expect(facet.error).toContain('/proc/modules: No such file or directory');
  });

  it('this machine has versions in /sys/module even without loadable modules', () => {
    const sysfs = fixtureOutput('debian12', 'modules-sysfs');
    expect(sysfs?.stdout).toContain('bridge\t2.3\t');
  });

  it('cloudlinux9 /proc/modules, versions joined from a sysfs listing', () => {
    const proc = fixtureOutput('cloudlinux9', 'modules-proc');
    // The sysfs listing is the test's own: the public capture had none.
    const sysfs = ok('btrfs\t\t6C2D1B3E5A3F8B6E3D0F1A2\nkmodlve\t1.5.12\tAB12CD34EF56AB12CD34EF5\nbridge\t2.3\t\n');
    const facet = modulesCollector.parse({ 'modules-proc': proc!, 'modules-sysfs': sysfs }, CTX);
    expect(facet.status).toBe('ok');
    expect(Object.keys(facet.items)).toHaveLength(12);
    expect(facet.items.kmodlve?.value).toBe('version=1.5.12 srcversion=AB12CD34EF56AB12CD34EF5');
    expect(facet.items.btrfs?.value).toBe('srcversion=6C2D1B3E5A3F8B6E3D0F1A2');
    expect(facet.items.ext4?.value).toBe(NO_VERSION);
    // Built-in modules in /sys/module are not loaded modules.
    expect(facet.items.bridge).toBeUndefined();
  });

  it('keeps the module list when the sysfs listing failed, and says why', () => {
    const facet = modulesCollector.parse(
      { 'modules-proc': ok('ext4 1 0 - Live 0x0\n'), 'modules-sysfs': failed(2, 'sh: 1: cannot open\n') },
      CTX,
    );
    expect(facet.status).toBe('ok');
    expect(facet.items.ext4?.value).toBe(NO_VERSION);
    expect(facet.meta?.versions).toContain('modules-sysfs');
  });

  it('a line that is not /proc/modules is an error naming the line', () => {
    const facet = modulesCollector.parse({ 'modules-proc': ok('ext4 1 0 - Live 0x0\n$$$ nope\n'), 'modules-sysfs': ok('') }, CTX);
    expect(facet.status).toBe('error');
    expect(facet.error).toContain('line 2');
  });
});
