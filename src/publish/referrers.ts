/** Referrers step: copy the signatures, attestations and SBOMs of each image that kept its source digest. */
import { copyReferrers } from '../oci/referrer-copy.js';
import { copyOptions, type RunContext } from './context.js';
import type { PublishedImage } from './report.js';

/** The images with their count of copied referrers. */
export async function copyImageReferrers(
  images: readonly PublishedImage[],
  run: RunContext,
): Promise<PublishedImage[]> {
  const result: PublishedImage[] = [];
  for (const image of images) result.push({ ...image, referrers: await referrersOf(image, run) });
  return result;
}

/** Signatures of a digest only apply to that digest: mutated builders get none, and say so. */
async function referrersOf(image: PublishedImage, run: RunContext): Promise<number> {
  const { logger } = run.runtime;
  if (image.upToDate) return 0;
  if (image.mutated) {
    logger.info(
      `${image.repository}: source signatures and attestations not copied: they sign ${image.sourceDigest}, not the mutated ${image.digest}`,
    );
    return 0;
  }
  const entry = run.plan.entries.find((e) => e.sourceName === image.source)!;
  const destination = run.connections.destination(image.repositoryName);
  const result = await copyReferrers({
    source: { client: run.connections.source(entry.source.registry), repository: entry.source.repository },
    destination: { client: destination.client, repository: destination.path },
    subjectDigests: [image.digest],
    options: copyOptions(run),
  });
  if (result.copied.length > 0) {
    const names = result.copied.map((c) => c.tag ?? c.digest).join(', ');
    logger.info(`${image.repository}: copied ${result.copied.length} signature(s)/attestation(s)/SBOM(s): ${names}`);
  }
  return result.copied.length;
}
