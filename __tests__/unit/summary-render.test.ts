/** Issue 15: the job summary, parsed by the CommonMark reference parser, has the blocks a reader should see. */
import { afterAll, beforeEach, describe, expect, it } from '@jest/globals';
import { writeSummary } from '../../src/action/summary.js';
import type { PublishReport } from '../../src/publish/report.js';
import { actionEnv } from '../support/action-env.js';
import { outline, renderHtml, type Block } from '../support/markdown.js';
import {
  digestOf,
  dryRunReport,
  hostileRelease,
  PRIVATE_REGISTRY,
  privateGatedRelease,
  PUBLIC_REGISTRY,
  publicRelease,
  verifyRelease,
} from '../fixtures/reports.js';

/** One line per block (a list: one per item), enough to read the summary's shape at a glance. */
function shape(blocks: Block[]): string[] {
  return blocks.flatMap((b) => {
    if ('heading' in b) return [`${'#'.repeat(b.level)} ${b.heading}`];
    if ('table' in b) return [`table(${(b.table[0] ?? []).join(', ')}) × ${b.table.length - 1}`];
    if ('html' in b) return [`html ${b.html}`];
    if ('paragraph' in b) return [`p ${b.paragraph}`];
    if ('quote' in b) return [`> ${b.quote}`];
    if ('list' in b) return b.list.map((item) => `- ${item}`);
    return [`\`\`\`${b.info} ${b.code.trimEnd().split('\n').length} line(s)`];
  });
}

/** What holds for every summary: whole tables under headings, no empty group, one quote per warning and notice. */
function expectWellFormed(blocks: Block[], report: PublishReport): void {
  blocks.forEach((b, at) => {
    // Only the details wrapper is HTML besides tables; anything else means Markdown was swallowed by an HTML block.
    if ('html' in b) expect(b.html).toMatch(/^(<details><summary>[^\n]*<\/summary>|<\/details>)$/);
    if ('table' in b) {
      expect(blocks[at - 1]).toHaveProperty('heading');
      for (const row of b.table) expect(row).toHaveLength(b.table[0]!.length);
      expect(b.table.length).toBeGreaterThan(1);
    }
    if ('heading' in b) expect(blocks[at + 1] ?? { end: true }).not.toHaveProperty('heading');
  });
  const quotes = blocks.flatMap((b) => ('quote' in b ? [b.quote] : []));
  const oneLine = (text: string) => text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
  expect(quotes).toEqual([...report.warnings.map((w) => `⚠️ ${oneLine(w)}`), ...report.notices.map(oneLine)]);
}

describe('the job summary under a CommonMark renderer', () => {
  const env = actionEnv();
  beforeEach(() => env.reset());
  afterAll(() => env.restore());

  async function blocksOf(report: PublishReport): Promise<Block[]> {
    await writeSummary(report);
    const blocks = outline(env.summary());
    expectWellFormed(blocks, report);
    return blocks;
  }

  it('a public release with a builder: tables, the mirror as a list, warnings and notices as quotes, pack lines as code', async () => {
    const mirror = `run image index.docker.io/paketobuildpacks/run-jammy-base:latest, mirrors ${PUBLIC_REGISTRY}/run-jammy-base:latest`;
    expect(shape(await blocksOf(publicRelease()))).toEqual([
      `### ecr-publish: 2 image(s) to ${PUBLIC_REGISTRY}`,
      // Nothing was mounted: no Mounted column.
      'table(Source, Source digest, Destination, Digest, Tags, Uploaded, Skipped, Time) × 2',
      '### ECR Public Gallery catalog data',
      'table(Repository, Catalog data, Detail) × 2',
      '### Retention: newest 2 version(s) kept per repository',
      'table(Repository, Kept versions, Older versions, Deleted, Problems) × 2',
      '### Deleted by public-retention',
      'table(Repository, Digest, Tags, Reason) × 2',
      `html <details><summary>Run-image mirror of ${PUBLIC_REGISTRY}/builder-jammy-base</summary>`,
      `- linux/amd64: ${mirror}`,
      `- linux/arm64: ${mirror}`,
      'p Source signatures and attestations sign the unmutated builder, so they were not copied.',
      'html </details>',
      `p Signatures, attestations and SBOMs copied: ${PUBLIC_REGISTRY}/run-jammy-base (2)`,
      '> ⚠️ Docker Hub pull quota is low: 7 of 100 pulls left',
      '> docker.io/paketobuildpacks/run-jammy-base:0.1.2 is also published as 0.1',
      '### Build with these builders',
      '```sh 3 line(s)',
    ]);
  });

  it('a private gated release: only the count columns that say something, no empty findings group', async () => {
    expect(shape(await blocksOf(privateGatedRelease()))).toEqual([
      `### ecr-publish: 1 image(s) to ${PRIVATE_REGISTRY}`,
      // Up to date: nothing uploaded or skipped, only mounted.
      'table(Source, Source digest, Destination, Digest, Tags, Mounted, Time) × 1',
      `### Scan gate failed for buildpacks/run-jammy-base@${digestOf('1')}: 0 finding(s) at or above HIGH.`,
      // The severities the gate fails on always show; below the threshold only those found.
      'table(Platform, Digest, CRITICAL, HIGH, MEDIUM, Scan status) × 1',
    ]);
  });

  it('a dry run and a verify: a heading and its table', async () => {
    expect(shape(await blocksOf(dryRunReport()))).toEqual([
      '### ecr-publish plan (dry run)',
      'table(Source, Destination, Tags, Not moved) × 3',
      '### What the real run also does',
      'table(Step, What happens) × 2',
    ]);
    env.reset();
    expect(shape(await blocksOf(verifyRelease()))).toEqual([
      '### ecr-publish verify: 1 of 2 tag(s) out of step with the source',
      'table(Source, Source digest, Destination, Tag, Status, Digest, Detail) × 2',
    ]);
  });

  it('drops a group with nothing in it (no images, a promotion without tags, a verify without rows) and empty columns', async () => {
    const empty: PublishReport = {
      ...privateGatedRelease(),
      images: [],
      gates: [{ repository: 'app', promotion: { digest: digestOf('1'), tags: [] } as never }],
    };
    expect(shape(await blocksOf(empty))).toEqual([]);
    env.reset();
    expect(shape(await blocksOf({ ...verifyRelease(), verify: { rows: [], outOfStep: 0 } }))).toEqual([]);
    env.reset();
    // Nothing to say in the Detail column when every tag is in step.
    const inStep = verifyRelease().verify!.rows.slice(0, 1);
    expect(shape(await blocksOf({ ...verifyRelease(), verify: { rows: inStep, outOfStep: 0 } }))).toEqual([
      '### ecr-publish verify: all 1 tag(s) in step with the source',
      'table(Source, Source digest, Destination, Tag, Status, Digest) × 1',
    ]);
    env.reset();
    const clean = { ...privateGatedRelease(), gates: [], retention: publicRelease().retention.slice(1) };
    expect(shape(await blocksOf(clean)).slice(2)).toEqual([
      '### Retention: newest 2 version(s) kept per repository',
      'table(Repository, Kept versions, Older versions, Deleted) × 1',
    ]);
  });

  it('stays in shape, and inert, whatever text images and registries send', async () => {
    const hostile = '<img src=x onerror=alert(1)>\n\n# injected *bold* [link](https://evil.example) ``` </table> | #';
    const report = hostileRelease(hostile);
    const blocks = await blocksOf(report);
    const html = renderHtml(env.summary());
    for (const made of ['<img', '<h1', '<em>', '<strong>', '<a ']) expect(html).not.toContain(made);
    // Every heading is one of ours; the pack lines are one code block, the last, holding the text as it is.
    expect(blocks.flatMap((b) => ('heading' in b ? [b.heading.split(':')[0]] : []))).toEqual([
      'ecr-publish',
      'ECR Public Gallery catalog data',
      'Retention',
      'Deleted by public-retention',
      'Build with these builders',
    ]);
    // A warning or notice that looks like the start of a block is still a quote of text.
    for (const text of ['- a list?', '1. a list?', '# a heading?', '    code?', '--- a rule?']) {
      env.reset();
      const [block] = await blocksOf({ ...dryRunReport(), plan: [], afterCopy: [], warnings: [], notices: [text] });
      expect(block).toEqual({ quote: text.trim() });
    }
    // ... and says the text as it came, on one line.
    expect(blocks[0]).toEqual({
      heading: `ecr-publish: 1 image(s) to registry/${hostile.replace('\n\n', ' ')}`,
      level: 3,
    });
    const code = blocks.filter((b) => 'code' in b);
    expect(code).toHaveLength(1);
    expect(blocks.at(-1)).toBe(code[0]);
    expect((code[0] as { code: string }).code).toContain(`--builder public.ecr.aws/alias/${hostile}`);
  });
});
