/** The staging side of a staged release: its plan, its repository settings, and the policy README documents. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { isStagedRelease } from '../../src/inputs.js';
import { buildPlan } from '../../src/plan/plan.js';
import { parseTagTemplate } from '../../src/plan/tags.js';
import { publicEntryOf, STAGING_LIFECYCLE_POLICY, stagingInputs, stagingPlan } from '../../src/publish/staging.js';
import { repoRoot } from '../../testbed/repo-root.js';
import { inputsFor } from '../fixtures/inputs.js';

const IMAGES = [
  'docker.io/paketobuildpacks/run-jammy-base:0.1.2',
  'docker.io/paketobuildpacks/builder-jammy-base:0.3.13',
];

describe('staged release', () => {
  const inputs = inputsFor(IMAGES, {
    repositoryPrefix: 'cnb/',
    scanSeverityThreshold: 'HIGH',
    awsRegion: 'eu-west-1',
    publicRegistryAlias: 'paketo-buildpacks',
    repositoryPolicy: '{"Statement":[]}',
    tags: ['{{tag}}', '{{major}}.{{minor}}', 'latest'],
  });
  const plan = buildPlan({
    images: inputs.images,
    repositoryPrefix: inputs.repositoryPrefix,
    tagTemplates: inputs.tags,
    registryType: 'public',
  });

  it('is a public release with a threshold', () => {
    expect(isStagedRelease(inputs)).toBe(true);
    expect(isStagedRelease({ ...inputs, scanSeverityThreshold: 'NONE' })).toBe(false);
    expect(isStagedRelease({ ...inputs, registryType: 'private' })).toBe(false);
  });

  it('stages each image under the staging prefix with its source tag only, and maps it back', () => {
    const staged = stagingPlan(plan, inputs);
    expect(staged.entries.map((e) => [e.repository, e.tags.map((t) => t.tag)])).toEqual([
      ['ecr-publish-staging/cnb/run-jammy-base', ['0.1.2']],
      ['ecr-publish-staging/cnb/builder-jammy-base', ['0.3.13']],
    ]);
    expect(staged.entries.map((e) => publicEntryOf(e, plan, inputs))).toEqual(plan.entries);
  });

  it('creates staging repositories scan-on-push, MUTABLE, expiring, without the public settings', () => {
    const side = stagingInputs(inputs);
    expect(side).toMatchObject({
      registryType: 'private',
      repositoryPrefix: 'ecr-publish-staging/cnb/',
      scanOnPush: true,
      imageTagMutability: 'MUTABLE',
      lifecyclePolicy: STAGING_LIFECYCLE_POLICY,
      promoteTags: [],
      createRepositories: true,
    });
    expect(side.tags).toEqual([parseTagTemplate('{{tag}}')]);
    expect(side.repositoryPolicy).toBeUndefined();
    expect(side.publicRegistryAlias).toBeUndefined();
    expect(stagingInputs({ ...inputs, lifecyclePolicy: '{"rules":[]}' }).lifecyclePolicy).toBe('{"rules":[]}');
  });

  it('documents the 14-day lifecycle policy in README exactly as it is sent', () => {
    const readme = readFileSync(join(repoRoot(), 'README.md'), 'utf8');
    expect(readme).toContain(`\`${STAGING_LIFECYCLE_POLICY}\``);
    expect(JSON.parse(STAGING_LIFECYCLE_POLICY).rules[0].selection.countNumber).toBe(14);
  });
});
