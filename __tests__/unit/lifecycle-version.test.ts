// The lifecycle version of a builder, from its label on every platform: the tag its lifecycle image is copied under.
import { describe, expect, it } from '@jest/globals';
import { builderLifecycleVersion, lifecycleVersionOf } from '../../src/cnb/lifecycle.js';
import { builderLabel } from '../../testbed/release.js';

const config = (label: string) => ({ config: { Labels: { 'io.buildpacks.builder.metadata': label } } });
const withLifecycle = (lifecycle: unknown) => config(JSON.stringify({ stack: {}, lifecycle }));

describe('builder lifecycle version', () => {
  it('reads lifecycle.version of current and old builders', () => {
    expect(lifecycleVersionOf(config(builderLabel({ runImage: 'r' })), 'b')).toBe('0.20.0');
    expect(lifecycleVersionOf(config(builderLabel({ runImage: 'r', shape: 'stack' })), 'b')).toBe('0.17.0');
  });

  it('takes one version for all platforms and refuses platforms that disagree', () => {
    expect(
      builderLifecycleVersion([withLifecycle({ version: '0.20.1' }), withLifecycle({ version: '0.20.1' })], 'b'),
    ).toBe('0.20.1');
    expect(() =>
      builderLifecycleVersion([withLifecycle({ version: '0.20.1' }), withLifecycle({ version: '0.19.0' })], 'x/b:1'),
    ).toThrow('builder x/b:1 names different lifecycle versions on its platforms: 0.20.1, 0.19.0');
  });

  it.each([
    [{}, 'names no lifecycle version'],
    [{ version: '' }, 'names no lifecycle version'],
    [{ version: 20 }, 'names no lifecycle version'],
    [{ version: '../0.20.0' }, 'names lifecycle version "../0.20.0", which is not a valid tag'],
    [{ version: '0.20.0\nx' }, 'names lifecycle version "0.20.0\\nx", which is not a valid tag'],
  ])('refuses lifecycle %j with one line', (lifecycle, message) => {
    expect(() => lifecycleVersionOf(withLifecycle(lifecycle), 'x/b:1')).toThrow(message);
  });
});
