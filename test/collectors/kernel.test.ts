import { describe, expect, it } from 'vitest';
import { DEFAULT_COLLECTOR_CONTEXT as CTX } from '../../src/collectors/collector.js';
import { FLAG_VALUE, KERNEL_COMMAND_IDS, kernelCollector, splitCmdline } from '../../src/collectors/kernel.js';
import { fixtureOutput, fixtureOutputs, ok } from './fixture-outputs.js';

function outputs(overrides: Record<string, string>) {
  const base: Record<string, string> = {
    'kernel-release': '6.1.0-21-amd64\n',
    'kernel-build': '#1 SMP PREEMPT_DYNAMIC Debian 6.1.90-1 (2024-05-03)\n',
    'kernel-cmdline': 'BOOT_IMAGE=/boot/vmlinuz-6.1.0-21-amd64 root=UUID=0b5c0f8e-1111-2222-3333-444455556666 ro quiet\n',
    'kernel-installed': '',
    ...overrides,
  };
  return Object.fromEntries(Object.entries(base).map(([id, text]) => [id, ok(text)]));
}

describe('kernel collector on fixture dirs', () => {
  it.each([['debian12'], ['debian12-minbase'], ['demo/erp-a']])('%s', (dir) => {
    const facet = kernelCollector.parse(fixtureOutputs(dir, KERNEL_COMMAND_IDS), CTX);
    expect(facet.status).toBe('ok');
    expect(facet.items.release?.value).toBe('6.18.44-fc-v782');
    expect(facet.items.build?.value).toBe('#1 SMP PREEMPT_DYNAMIC @0');
    expect(facet.items['cmdline.console']?.value).toBe('ttyS0');
    expect(facet.items['cmdline.quiet']?.value).toBe(FLAG_VALUE);
    expect(facet.items['cmdline.mitigations']?.value).toBe('auto,no_guest_host,no_guest_guest');
    // 16 parameters on this machine's command line; no /boot kernels in this VM.
    expect(Object.keys(facet.items).filter((k) => k.startsWith('cmdline.'))).toHaveLength(16);
    expect(Object.keys(facet.items).filter((k) => k.startsWith('installed.'))).toHaveLength(0);
    expect(facet.items.reboot_required).toBeUndefined();
  });

  it('reads a SLES release string', () => {
    const release = fixtureOutput('sles15', 'kernel-release');
    const facet = kernelCollector.parse(
      { ...outputs({ 'kernel-installed': '6.4.0-150600.21-default\n' }), 'kernel-release': release! },
      CTX,
    );
    expect(facet.items.release?.value).toBe('6.4.0-150600.21-default');
    expect(facet.items.reboot_required?.value).toBe('false');
  });
});

describe('kernel installed and reboot_required', () => {
  it.each([
    ['running is newest', '6.1.0-18-amd64\n6.1.0-21-amd64\n', 'false'],
    ['newer installed', '6.1.0-21-amd64\n6.1.0-22-amd64\n', 'true'],
    ['numeric, not lexical, order', '6.1.0-9-amd64\n6.1.0-21-amd64\n', 'false'],
    ['running kernel removed, newer present', '6.1.0-25-amd64\n', 'true'],
  ])('%s', (_name, installed, expected) => {
    const facet = kernelCollector.parse(outputs({ 'kernel-installed': installed }), CTX);
    expect(facet.items.reboot_required?.value).toBe(expected);
    for (const r of installed.trim().split('\n')) expect(facet.items[`installed.${r}`]?.value).toBe('installed');
  });

  it('ignores the RHEL rescue image, named after the machine id', () => {
    const facet = kernelCollector.parse(
      outputs({
        'kernel-release': '5.14.0-362.8.1.el9_3.x86_64\n',
        'kernel-installed': '0-rescue-3f1c2d4e5f60718293a4b5c6d7e8f901\n5.14.0-362.8.1.el9_3.x86_64\n',
      }),
      CTX,
    );
    expect(Object.keys(facet.items).filter((k) => k.startsWith('installed.'))).toEqual(['installed.5.14.0-362.8.1.el9_3.x86_64']);
    expect(facet.items.reboot_required?.value).toBe('false');
  });
});

describe('kernel command line', () => {
  it('marks the boot image and UUID roots node-specific, not ordinary flags', () => {
    const facet = kernelCollector.parse(outputs({}), CTX);
    expect(facet.items['cmdline.BOOT_IMAGE']?.nodeSpecific).toBeTruthy();
    expect(facet.items['cmdline.root']?.nodeSpecific).toBeTruthy();
    expect(facet.items['cmdline.ro']).toEqual({ value: FLAG_VALUE });
  });

  it('keeps repeated parameters together, in order', () => {
    const facet = kernelCollector.parse(outputs({ 'kernel-cmdline': 'console=tty0 console=ttyS0,115200n8\n' }), CTX);
    expect(facet.items['cmdline.console']?.value).toBe('tty0 ttyS0,115200n8');
  });

  it('keeps init arguments after -- as one item', () => {
    const facet = kernelCollector.parse(outputs({ 'kernel-cmdline': 'quiet -- single --foo bar\n' }), CTX);
    expect(facet.items['cmdline.--']?.value).toBe('single --foo bar');
    expect(facet.items['cmdline.single']).toBeUndefined();
  });

  it.each([
    ['a b  c', ['a', 'b', 'c']],
    ['dyndbg="file foo.c +p" quiet', ['dyndbg=file foo.c +p', 'quiet']],
    ['', []],
  ])('splitCmdline(%j)', (text, expected) => {
    expect(splitCmdline(text)).toEqual(expected);
  });
});
