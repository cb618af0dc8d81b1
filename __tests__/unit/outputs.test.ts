/** setOutputs(): the action's outputs, read back from a GITHUB_OUTPUT file as the runner would. */
import { afterAll, beforeEach, describe, expect, it } from '@jest/globals';
import { setOutputs } from '../../src/action/outputs.js';
import { actionEnv } from '../support/action-env.js';
import {
  BUILDER_SOURCE,
  digestOf,
  dryRunReport,
  privateGatedRelease,
  PRIVATE_REGISTRY,
  PUBLIC_REGISTRY,
  publicRelease,
  RUN_SOURCE,
} from '../fixtures/reports.js';

describe('setOutputs', () => {
  const env = actionEnv();
  beforeEach(() => env.reset());
  afterAll(() => env.restore());

  it('lists every published image, the first digest and the registry', () => {
    setOutputs(publicRelease());
    const outputs = env.outputs();
    expect(Object.keys(outputs).sort()).toEqual(['digest', 'images', 'registry', 'scan-findings']);
    expect(outputs.registry).toBe(PUBLIC_REGISTRY);
    expect(outputs.digest).toBe(digestOf('a'));
    expect(JSON.parse(outputs['scan-findings']!)).toEqual([]);
    expect(JSON.parse(outputs.images!)).toEqual([
      {
        source: RUN_SOURCE,
        sourceDigest: digestOf('a'),
        repository: `${PUBLIC_REGISTRY}/run-jammy-base`,
        digest: digestOf('a'),
        tags: ['0.1.2', 'latest'],
        mutated: false,
        platforms: ['linux/amd64', 'linux/arm64'],
        bytesUploaded: 10 * 1024 * 1024,
        bytesMounted: 0,
        bytesSkipped: 0,
      },
      {
        source: BUILDER_SOURCE,
        sourceDigest: digestOf('b'),
        repository: `${PUBLIC_REGISTRY}/builder-jammy-base`,
        digest: digestOf('c'),
        tags: ['0.3.13'],
        mutated: true,
        platforms: ['linux/amd64', 'linux/arm64'],
        bytesUploaded: 3 * 1024 * 1024,
        bytesMounted: 0,
        bytesSkipped: 5 * 1024 * 1024,
      },
    ]);
  });

  it('reports gate counts per platform in scan-findings', () => {
    setOutputs(privateGatedRelease());
    const outputs = env.outputs();
    expect(outputs.registry).toBe(PRIVATE_REGISTRY);
    expect(JSON.parse(outputs['scan-findings']!)).toEqual([
      {
        repository: 'buildpacks/run-jammy-base',
        digest: digestOf('1'),
        verdict: 'fail',
        scanType: 'BASIC',
        platforms: [
          {
            digest: digestOf('2'),
            platform: 'linux/amd64',
            counts: { CRITICAL: 1, HIGH: 0, MEDIUM: 2, LOW: 0, INFORMATIONAL: 0, UNDEFINED: 0 },
          },
        ],
      },
    ]);
  });

  it('outputs the plan, also as a job matrix, in a dry run', () => {
    const report = dryRunReport();
    setOutputs(report);
    const outputs = env.outputs();
    expect(Object.keys(outputs).sort()).toEqual(['images', 'plan', 'registry']);
    expect(outputs.registry).toBe(PUBLIC_REGISTRY);
    expect(JSON.parse(outputs.images!)).toEqual(report.plan);
    expect(JSON.parse(outputs.plan!)).toEqual({ include: report.plan });
  });

  it('leaves registry unset in a dry run that cannot name it', () => {
    setOutputs({ ...dryRunReport(), registry: '' });
    expect(Object.keys(env.outputs()).sort()).toEqual(['images', 'plan']);
  });
});
