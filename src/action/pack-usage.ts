/** The pack commands a user needs to build with the builders this run published to ECR. */
import type { PublishedImage, PublishReport } from '../publish/report.js';

/** A builder's reference in the destination: its first tag, else its digest. */
function destinationReference(image: PublishedImage): string {
  const tag = image.tags[0];
  return tag !== undefined ? `${image.repository}:${tag}` : `${image.repository}@${image.digest}`;
}

/**
 * Per published builder: `pack build` with it, the run-image mirror for users whose builder does not carry
 * it, and trusting the builder so pack runs its lifecycle. Empty without builders.
 */
export function packUsageLines(report: PublishReport): string[] {
  const lines: string[] = [];
  for (const builder of report.images.filter((image) => image.kind === 'builder')) {
    const reference = destinationReference(builder);
    lines.push(`pack build my-app --builder ${reference}`);
    for (const { source, copy } of builder.mirror?.runImages ?? [])
      lines.push(`pack config run-image-mirrors add ${source} --mirror ${copy}`);
    lines.push(`pack config trusted-builders add ${reference}`);
  }
  return lines;
}
