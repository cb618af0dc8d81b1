// The pack lines for published builders: build, run-image mirror, trust.
import { describe, expect, it } from '@jest/globals';
import { packUsageLines } from '../../src/action/pack-usage.js';
import { publicRelease } from '../fixtures/reports.js';

describe('packUsageLines', () => {
  it('gives each builder its build, mirror and trust lines', () => {
    const report = publicRelease();
    const builder = report.images.find((image) => image.kind === 'builder')!;
    const copy = builder.mirror!.runImages[0]!;
    expect(packUsageLines(report)).toEqual([
      `pack build my-app --builder ${builder.repository}:${builder.tags[0]}`,
      `pack config run-image-mirrors add ${copy.source} --mirror ${copy.copy}`,
      `pack config trusted-builders add ${builder.repository}:${builder.tags[0]}`,
    ]);
  });

  it('names a builder without tags by digest, and is empty without builders', () => {
    const report = publicRelease();
    for (const image of report.images) if (image.kind === 'builder') image.tags = [];
    const builder = report.images.find((image) => image.kind === 'builder')!;
    expect(packUsageLines(report)[0]).toBe(`pack build my-app --builder ${builder.repository}@${builder.digest}`);
    report.images = report.images.filter((image) => image.kind !== 'builder');
    expect(packUsageLines(report)).toEqual([]);
  });
});
