/** The pack commands a user needs to build with the builders this run published to ECR. */
import type { PublishedImage, PublishReport } from '../publish/report.js';

/** A builder's reference in the destination: its first tag, else its digest. */
function destinationReference(image: PublishedImage): string {
  const tag = image.tags[0];
  return tag !== undefined ? `${image.repository}:${tag}` : `${image.repository}@${image.digest}`;
}

/**
 * Per published builder: `pack build` with it, the run-image mirror for users whose builder does not carry
 * it, and the ECR lifecycle image when this run copied it, with trusting the builder as the alternative
 * (a trusted builder runs its own lifecycle). Empty without builders.
 */
export function packUsageLines(report: PublishReport): string[] {
  const lines: string[] = [];
  // A staged release that failed its gate published no builder to build with.
  if (report.staging?.published === false) return lines;
  for (const builder of report.images.filter((image) => image.kind === 'builder')) {
    const reference = destinationReference(builder);
    lines.push(`pack build my-app --builder ${reference}`);
    for (const { source, copy } of builder.mirror?.runImages ?? [])
      lines.push(`pack config run-image-mirrors add ${source} --mirror ${copy}`);
    const lifecycle = report.lifecycle?.find((copy) => copy.builders.includes(builder.source));
    if (lifecycle !== undefined) {
      lines.push(`pack config lifecycle-image ${lifecycle.image}`);
      lines.push('# or, instead of the lifecycle image, trust the builder (it then runs its own lifecycle):');
    }
    lines.push(`pack config trusted-builders add ${reference}`);
  }
  return lines;
}
