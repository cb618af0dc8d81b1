/** writeSummary(): images, catalog and retention tables, mirrors, warnings, escaping (gate parts live elsewhere). */
import { afterAll, beforeEach, describe, expect, it } from '@jest/globals';
import { writeSummary } from '../../src/action/summary.js';
import { actionEnv } from '../support/action-env.js';
import { tableAfter } from '../support/markdown.js';
import {
  BUILDER_SOURCE,
  privateGatedRelease,
  PRIVATE_REGISTRY,
  PUBLIC_REGISTRY,
  publicRelease,
  RUN_SOURCE,
} from '../fixtures/reports.js';

describe('writeSummary', () => {
  const env = actionEnv();
  beforeEach(() => env.reset());
  afterAll(() => env.restore());

  it('tables every published image: short digests, mutation, held-back tags, sizes and time', async () => {
    await writeSummary(publicRelease());
    // Nothing was mounted: no Mounted column.
    expect(tableAfter(env.summary(), `ecr-publish: 2 image(s) to ${PUBLIC_REGISTRY}`)).toEqual([
      ['Source', 'Source digest', 'Destination', 'Digest', 'Tags', 'Uploaded', 'Skipped', 'Time'],
      [
        RUN_SOURCE,
        'a'.repeat(12),
        `${PUBLIC_REGISTRY}/run-jammy-base`,
        'a'.repeat(12),
        '0.1.2, latest',
        '10.0 MiB',
        '0.0 MiB',
        '2.3 s',
      ],
      [
        BUILDER_SOURCE,
        'b'.repeat(12),
        `${PUBLIC_REGISTRY}/builder-jammy-base`,
        `${'c'.repeat(12)} (mutated: run-image mirror)`,
        '0.3.13 (held back: latest)',
        '3.0 MiB',
        '5.0 MiB',
        '2.3 s',
      ],
    ]);
  });

  it('marks an image that was already there as up to date', async () => {
    await writeSummary(privateGatedRelease());
    const rows = tableAfter(env.summary(), `ecr-publish: 1 image(s) to ${PRIVATE_REGISTRY}`);
    expect(rows[0]).toEqual(['Source', 'Source digest', 'Destination', 'Digest', 'Tags', 'Mounted', 'Time']);
    expect(rows[1]![3]).toBe(`${'1'.repeat(12)} (up to date)`);
    expect(rows[1]![5]).toBe('4.0 MiB');
  });

  it('shows the run-image mirror of each builder and which images kept their signatures', async () => {
    await writeSummary(publicRelease());
    const summary = env.summary();
    expect(summary).toContain(`<summary>Run-image mirror of ${PUBLIC_REGISTRY}/builder-jammy-base</summary>`);
    for (const platform of ['linux/amd64', 'linux/arm64']) {
      const runImage = 'index.docker.io/paketobuildpacks/run-jammy-base:latest';
      expect(summary).toContain(`${platform}: run image ${runImage}, mirrors ${PUBLIC_REGISTRY}/run-jammy-base:latest`);
    }
    expect(summary).toContain('Source signatures and attestations sign the unmutated builder, so they were not copied');
    expect(summary).toContain(`Signatures, attestations and SBOMs copied: ${PUBLIC_REGISTRY}/run-jammy-base (2)`);
  });

  it('tables catalog data outcomes, escaping the detail', async () => {
    await writeSummary(publicRelease());
    expect(tableAfter(env.summary(), 'ECR Public Gallery catalog data')).toEqual([
      ['Repository', 'Catalog data', 'Detail'],
      ['run-jammy-base', 'updated', '0.1.2'],
      ['builder-jammy-base', 'failed', 'AccessDenied: &lt;ecr-public:PutRepositoryCatalogData&gt;'],
    ]);
    expect(env.summary()).not.toContain('<ecr-public:');
  });

  it('tables retention per repository and every deleted image; empty cells get a dash', async () => {
    await writeSummary(publicRelease());
    const summary = env.summary();
    expect(tableAfter(summary, 'Retention: newest 2 version(s) kept per repository')).toEqual([
      ['Repository', 'Kept versions', 'Older versions', 'Deleted', 'Problems'],
      [
        'run-jammy-base',
        '0.1.2, 0.1.1',
        '0.1.0',
        '2',
        `${'e'.repeat(12)}: ImageReferencedByManifestList &lt;index&gt;; ` +
          '1 image(s) kept: tagged or referenced since listing, or their index could not be deleted',
      ],
      ['builder-jammy-base', '0.3.13', '–', '0', '–'],
    ]);
    expect(tableAfter(summary, 'Deleted by public-retention')).toEqual([
      ['Repository', 'Digest', 'Tags', 'Reason'],
      ['run-jammy-base', 'd'.repeat(12), '0.1.0', 'version 0.1.0 is older than the newest 2'],
      ['run-jammy-base', '9'.repeat(12), '(untagged)', 'a child of &lt;deleted&gt; index'],
    ]);
  });

  it('ends with warnings and notices as quotes', async () => {
    await writeSummary(publicRelease());
    const summary = env.summary();
    expect(summary).toContain('> ⚠️ Docker Hub pull quota is low: 7 of 100 pulls left');
    expect(summary).toContain('> docker.io/paketobuildpacks/run-jammy-base:0.1.2 is also published as 0.1');
  });

  it('writes nothing without GITHUB_STEP_SUMMARY', async () => {
    const file = process.env.GITHUB_STEP_SUMMARY;
    delete process.env.GITHUB_STEP_SUMMARY;
    try {
      await writeSummary(publicRelease());
    } finally {
      process.env.GITHUB_STEP_SUMMARY = file;
    }
    expect(env.summary()).toBe('');
  });
});
