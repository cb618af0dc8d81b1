/** dry-run verify in the action layer: the summary table, the images output, the failure line; mirrorOrigin of a builder. */
import { afterAll, beforeEach, describe, expect, it } from '@jest/globals';
import { setOutputs } from '../../src/action/outputs.js';
import { writeSummary } from '../../src/action/summary.js';
import { verifyFailure } from '../../src/action/verify-summary.js';
import { SOURCE_DIGEST_ANNOTATION } from '../../src/cnb/builder-mirror.js';
import { mirrorOrigin } from '../../src/cnb/mirror-origin.js';
import type { ImageTree, ManifestNode } from '../../src/oci/copy.js';
import { DOCKER_MANIFEST, OCI_MANIFEST } from '../../src/oci/media-types.js';
import type { RegistryClient } from '../../src/oci/registry.js';
import type { PublishReport, VerifyRow } from '../../src/publish/report.js';
import { actionEnv } from '../support/action-env.js';
import { digestOf, dryRunReport, PUBLIC_REGISTRY, RUN_SOURCE } from '../fixtures/reports.js';

const row = (tag: string, status: VerifyRow['status'], detail = ''): VerifyRow => ({
  source: RUN_SOURCE,
  sourceDigest: digestOf('a'),
  repository: `${PUBLIC_REGISTRY}/run-jammy-base`,
  tag,
  status,
  digest: status === 'missing' ? '' : digestOf('b'),
  detail,
});

function verifyReport(rows: VerifyRow[]): PublishReport {
  const outOfStep = rows.filter((r) => r.status !== 'up-to-date' && r.status !== 'mirrored').length;
  return { ...dryRunReport(), registry: PUBLIC_REGISTRY, verify: { rows, outOfStep } };
}

describe('dry-run verify in the action layer', () => {
  const env = actionEnv();
  beforeEach(() => env.reset());
  afterAll(() => env.restore());

  const outOfStep = () =>
    verifyReport([row('0.1.3', 'missing', 'tag missing'), row('latest', 'moving-tag-behind', 'at <0.1.2>')]);

  it('tables every tag with its status, escaped, instead of the plan', async () => {
    await writeSummary(outOfStep());
    const summary = env.summary();
    expect(summary).toContain('### ecr-publish verify: 2 of 2 tag(s) out of step with the source');
    expect(summary).toContain(
      '<td>latest</td><td>moving tag behind</td><td>bbbbbbbbbbbb</td><td>at &lt;0.1.2&gt;</td>',
    );
    expect(summary).toContain('<td>0.1.3</td><td>missing</td><td>–</td><td>tag missing</td>');
    expect(summary).not.toContain('plan (dry run)');
  });

  it('outputs the rows as images, and no plan', () => {
    setOutputs(outOfStep());
    expect(JSON.parse(env.outputs().images!)).toEqual(outOfStep().verify!.rows);
    expect(env.outputs().plan).toBeUndefined();
  });

  it('fails with one line counting what is out of step; in step, no failure', () => {
    expect(verifyFailure(outOfStep().verify!)).toBe(
      'ECR is out of step with the source: 1 missing, 1 moving tag behind (of 2 tag(s)); see the job summary.',
    );
    expect(
      verifyFailure(verifyReport([row('0.1.2', 'up-to-date'), row('latest', 'mirrored')]).verify!),
    ).toBeUndefined();
  });
});

describe('mirrorOrigin', () => {
  const node = (mediaType: string, annotations?: Record<string, string>): ManifestNode => {
    const bytes = Buffer.from(
      JSON.stringify({ schemaVersion: 2, mediaType, layers: [], ...(annotations ? { annotations } : {}) }),
    );
    return { bytes, mediaType, digest: digestOf('d'), children: [], blobs: [] };
  };
  const tree = (root: ManifestNode): ImageTree => ({
    source: { client: { registry: 'ecr.example' } as RegistryClient, repository: 'builder' },
    root,
    localBlobs: new Map(),
  });

  it('reads the source digest a mutated builder records', () => {
    const root = node(OCI_MANIFEST, { [SOURCE_DIGEST_ANNOTATION]: digestOf('a') });
    expect(mirrorOrigin(tree(root))).toEqual({ kind: 'recorded', sourceDigest: digestOf('a') });
  });

  it('cannot tell for Docker manifests, and says none for OCI ones without the annotation', () => {
    expect(mirrorOrigin(tree(node(DOCKER_MANIFEST)))).toEqual({ kind: 'unrecorded' });
    expect(mirrorOrigin(tree(node(OCI_MANIFEST)))).toEqual({ kind: 'none' });
  });
});
