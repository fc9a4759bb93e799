/** Strict options (issue 13): every refusal happens before DPDK sees anything, so no EAL starts here. */
import { describe, expect, it } from 'vitest';
import { Eal } from './eal.js';
import { ealArgs } from './eal-args.js';
import { type HotplugError, isHotplugError } from './errors.js';
import {
  checkAttachOptions,
  checkConfigureOptions,
  checkDetachOptions,
  checkEalOptions,
  expandCpuList,
  levenshtein,
} from './options.js';
import { errorOf } from './test-support/env.js';

function refusal(fn: () => unknown): HotplugError {
  const e = errorOf(fn);
  expect(isHotplugError(e, 'INVALID_OPTION'), String(e?.message)).toBe(true);
  return e!;
}

describe('Eal.init refuses bad options with INVALID_OPTION naming the key', () => {
  it.each([
    [{ noShconf: true }, 'noShconf', /Unknown EAL option "noShconf"; did you mean noSharedConfig\?/],
    [{ memory: 128 }, 'memory', /did you mean memoryMb\?/],
    [{ 'file-prefix': 'x' }, 'file-prefix', /did you mean filePrefix\?/],
    [{ noHugh: true }, 'noHugh', /did you mean noHuge\?/],
    [{ logLevle: 'error' }, 'logLevle', /did you mean logLevel\?/],
    [{ zzz: 1 }, 'zzz', /known: lcores, memoryMb/],
    [{ noHuge: 'false' }, 'noHuge', /must be true or false, not the string "false"/],
    [{ extraArgs: '--no-huge' }, 'extraArgs', /must be an array of EAL arguments/],
    [{ extraArgs: ['--no-huge', 'a\0b'] }, 'extraArgs', /item 1/],
    [{ logLevel: '__proto__' }, 'logLevel', /must be one of "emergency"/],
    [{ logLevel: 'toString' }, 'logLevel', /must be one of/],
    [{ lcores: [1023] }, 'lcores', /CPU 1023 is not one this process may run on/],
    [{ lcores: '0-1023' }, 'lcores', /is not one this process may run on/],
    [{ lcores: [] }, 'lcores', /must be CPU numbers/],
    [{ lcores: '0@1' }, 'lcores', /must be CPU numbers/],
    [{ processType: 'bogus' }, 'processType', /"primary", "secondary", "auto"/],
    [{ memoryMb: -1 }, 'memoryMb', /integer from 1/],
    [{ memoryMb: '128' }, 'memoryMb', /integer from 1/],
    [{ devargsBudgetMb: 0 }, 'devargsBudgetMb', /integer from 1/],
    [{ devargsBudgetMb: '256' }, 'devargsBudgetMb', /integer from 1/],
    [{ devargsBudget: 256 }, 'devargsBudget', /did you mean devargsBudgetMb\?/],
    [{ sysfs: 'sys' }, 'sysfs', /must be an absolute folder path/],
    [{ iovaMode: 'xx' }, 'iovaMode', /"pa", "va"/],
    [{ delays: 'sleeping' }, 'delays', /must be one of "busy", "sleep"/],
    [{ delay: 'sleep' }, 'delay', /did you mean delays\?/],
    [{ vdevs: 'net_null0' }, 'vdevs', /must be an array/],
    [{ filePrefix: '..' }, 'filePrefix', /folder name/],
    [{ filePrefix: '.' }, 'filePrefix', /folder name/],
    [{ filePrefix: 'a/b' }, 'filePrefix', /folder name/],
    [{ filePrefix: 'a\0b' }, 'filePrefix', /folder name/],
    [{ filePrefix: '' }, 'filePrefix', /folder name/],
    [{ filePrefix: 'x'.repeat(33) }, 'filePrefix', /folder name/],
    [{ filePrefix: 'a b' }, 'filePrefix', /folder name/],
    [{ processType: 'secondary', noSharedConfig: true }, 'noSharedConfig', /secondary process needs/],
    [{ processType: 'secondary', inMemory: true }, 'inMemory', /secondary process needs/],
    [{ noHuge: true, inMemory: true }, 'inMemory', /--in-memory with --no-huge/],
    [JSON.parse('{"__proto__": {"noHuge": true}}'), '__proto__', /Unknown EAL option "__proto__"/],
  ])('%j', (options, key, message) => {
    const e = refusal(() => Eal.init(options as never));
    expect(e.key).toBe(key);
    expect(e.message).toMatch(message);
  });

  it.each(['x', 42, null, true, ['noHuge']])('refuses %j, which is not an object', (value) => {
    expect(refusal(() => Eal.init(value as never)).message).toMatch(/EAL options must be an object, not/);
  });
});

describe('Eal.init checks its vdevs as attach checks devargs, before DPDK', () => {
  it.each([
    ['net_ring0,nodeaction', 'nodeaction'],
    ['net_failsafe0,exec(touch /nonexistent/dphp; echo net_null7)', 'exec(...)'],
    ['virtio_user0,path=/x,server=1', 'server'],
  ])('%s', (vdev, key) => {
    const e = errorOf(() => Eal.init({ vdevs: [vdev] }));
    expect(isHotplugError(e, 'INVALID_DEVARGS'), e?.message).toBe(true);
    expect(e!.key).toBe(key);
  });

  it('lets exec(...) through to the EAL arguments only when shell commands are allowed', () => {
    const vdev = 'net_failsafe0,exec(echo net_null7)';
    expect(ealArgs({ vdevs: [vdev], allowShellCommandsInDevargs: true })).toContain(vdev);
  });
});

describe('the checked options', () => {
  it('are a fresh object of own keys: inherited ones are not read', () => {
    const sneaky = Object.create({ noHuge: 'yes' }) as object;
    expect(checkEalOptions(sneaky)).toEqual({});
    const o = checkEalOptions({ noHuge: true, vdevs: ['net_null0'], filePrefix: 'app_1.a' });
    expect(o).toEqual({ noHuge: true, vdevs: ['net_null0'], filePrefix: 'app_1.a' });
    expect(Object.isFrozen(o.vdevs)).toBe(true);
  });

  it('skip keys set to undefined, as if absent', () => {
    expect(checkEalOptions({ filePrefix: undefined })).toEqual({});
  });

  it('configure, detach and attach options are as strict', () => {
    expect(refusal(() => checkConfigureOptions({ rxQueue: 2 })).message).toMatch(/did you mean rxQueues\?/);
    expect(refusal(() => checkConfigureOptions({ rxQueues: 0 })).key).toBe('rxQueues');
    expect(refusal(() => checkConfigureOptions({ promiscuous: 1 })).key).toBe('promiscuous');
    expect(refusal(() => checkConfigureOptions('fast')).message).toMatch(
      /configure options must be an object/,
    );
    expect(refusal(() => checkDetachOptions({ force: 'yes' })).key).toBe('force');
    expect(refusal(() => checkDetachOptions({ forced: true })).message).toMatch(/did you mean force\?/);
    expect(refusal(() => checkAttachOptions({ overwrite: true })).message).toMatch(
      /did you mean overwriteFiles\?/,
    );
    expect(checkConfigureOptions({ rxQueues: 2, promiscuous: false })).toEqual({
      rxQueues: 2,
      promiscuous: false,
    });
  });
});

it('expands CPU lists and measures edit distance', () => {
  expect(expandCpuList('0-2,5')).toEqual([0, 1, 2, 5]);
  expect(expandCpuList('0-')).toBeUndefined();
  expect(levenshtein('noHugh', 'noHuge')).toBe(1);
  expect(levenshtein('', 'abc')).toBe(3);
});
