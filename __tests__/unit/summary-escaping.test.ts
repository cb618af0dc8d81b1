/** Issue 11: text from images and registries reaches the job summary (HTML) escaped, in every place it is written. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSummary } from '../../src/action/summary.js';
import type { PublishedImage, PublishReport } from '../../src/publish/report.js';

const HOSTILE = '<img src=x onerror=alert(1)>';
const ESCAPED = '&lt;img src=x onerror=alert(1)&gt;';
const DIGEST = `sha256:${'a'.repeat(64)}`;

function image(): PublishedImage {
  const runImage = { image: `mirror.example/${HOSTILE}`, mirrors: [HOSTILE] };
  return {
    source: `docker.io/x/builder:${HOSTILE}`,
    sourceDigest: DIGEST,
    repository: `public.ecr.aws/alias/${HOSTILE}`,
    repositoryName: 'builder',
    digest: DIGEST,
    tags: [HOSTILE],
    heldBackTags: [{ tag: HOSTILE, reason: HOSTILE }],
    kind: 'builder',
    mutated: true,
    upToDate: false,
    platforms: ['linux/amd64'],
    bytesUploaded: 0,
    bytesMounted: 0,
    bytesSkipped: 0,
    foreignLayers: 0,
    seconds: 1,
    mirror: {
      mode: 'auto',
      runImages: [{ source: HOSTILE, copy: HOSTILE }],
      platforms: [{ platform: HOSTILE, before: [runImage], after: [runImage] }],
    },
    referrers: 1,
  };
}

function report(overrides: Partial<PublishReport> = {}): PublishReport {
  return {
    warnings: [HOSTILE],
    dryRun: false,
    registry: `registry/${HOSTILE}`,
    plan: [],
    images: [image()],
    gates: [],
    gateFailed: false,
    notices: [HOSTILE],
    catalog: [{ repository: HOSTILE, outcome: 'failed', detail: HOSTILE }],
    retention: [
      {
        repository: HOSTILE,
        dryRun: false,
        keep: 1,
        keptVersions: [HOSTILE],
        droppedVersions: [HOSTILE],
        deleted: [{ digest: DIGEST, tags: [HOSTILE], reason: HOSTILE }],
        failures: [{ imageDigest: DIGEST, reason: HOSTILE } as never],
        skipped: [],
        error: HOSTILE,
      },
    ],
    logins: [],
    ...overrides,
  };
}

describe('writeSummary escapes what images and registries said', () => {
  let dir: string;
  let file: string;
  const saved = process.env.GITHUB_STEP_SUMMARY;

  // @actions/core remembers the summary path, so one file for the suite, emptied per test.
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'summary-test-'));
    file = join(dir, 'summary');
    process.env.GITHUB_STEP_SUMMARY = file;
  });

  beforeEach(() => {
    writeFileSync(file, '');
  });

  afterAll(() => {
    if (saved === undefined) delete process.env.GITHUB_STEP_SUMMARY;
    else process.env.GITHUB_STEP_SUMMARY = saved;
    rmSync(dir, { recursive: true, force: true });
  });

  async function written(value: PublishReport): Promise<string> {
    await writeSummary(value);
    return readFileSync(file, 'utf8');
  }

  it('in the image, catalog and retention tables, headings, mirror details, warnings and notices', async () => {
    const summary = await written(report());
    expect(summary).not.toContain('<img');
    // Each place: heading, source, destination, tags, held back, catalog ×2, retention ×~8, mirror details, referrers, warning, notice.
    expect(summary.split(ESCAPED).length - 1).toBeGreaterThanOrEqual(20);
    expect(summary).toContain(`<td>docker.io/x/builder:${ESCAPED}</td>`);
    expect(summary).toContain(`mirrors ${ESCAPED}`);
    expect(summary).toContain(`> ⚠️ ${ESCAPED}`);
    // Escaped once, not twice.
    expect(summary).not.toContain('&amp;lt;');
  });

  it('in the dry-run plan', async () => {
    const plan = [
      {
        source: HOSTILE,
        images: HOSTILE,
        repository: HOSTILE,
        destination: HOSTILE,
        tags: [HOSTILE],
        heldBack: [{ tag: HOSTILE, reason: HOSTILE }],
      },
    ];
    const afterCopy = [{ step: HOSTILE, detail: HOSTILE }];
    const dryRun = { dryRun: true, plan, afterCopy, retention: [], images: [], warnings: [], notices: [] };
    const summary = await written(report(dryRun));
    expect(summary).not.toContain('<img');
    expect(summary).toContain(`<td>${ESCAPED}</td><td>${ESCAPED}</td><td>${ESCAPED}</td>`);
    expect(summary).toContain(`<td>${ESCAPED}: ${ESCAPED}</td>`);
  });
});
