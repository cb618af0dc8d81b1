/** Catalog step (ECR Public, `catalog-data: auto`): describe each written repository in the Gallery. */
import { buildCatalogData, syncCatalogData, type CatalogPlatform, type CatalogSource } from '../aws/catalog-data.js';
import { imageLabels } from '../cnb/classify.js';
import { platformNodes } from '../oci/copy.js';
import type { CopiedImage } from './copy.js';
import type { RunContext } from './context.js';
import { platformOfConfig, readConfig } from './image-config.js';
import type { CatalogReport } from './report.js';

/** Per repository, the last image written there whose tags all moved; an older release never takes over. */
export async function syncCatalog(copied: readonly CopiedImage[], run: RunContext): Promise<CatalogReport[]> {
  if (run.inputs.registryType !== 'public' || run.inputs.catalogData !== 'auto') return [];
  const describing = new Map<string, CopiedImage>();
  for (const image of copied) {
    if (image.image.heldBackTags.length === 0 && image.image.tags.length > 0)
      describing.set(image.image.repositoryName, image);
  }
  if (describing.size === 0) return [];
  return run.github.group('Catalog data', async () => {
    const reports: CatalogReport[] = [];
    for (const [repositoryName, image] of describing)
      reports.push(await updateCatalog(repositoryName, await catalogSourceOf(image, run), run));
    return reports;
  });
}

async function catalogSourceOf({ image, item, tree }: CopiedImage, run: RunContext): Promise<CatalogSource> {
  const nodes = platformNodes(tree);
  const firstConfig = await readConfig(run.spool, tree, nodes[0]!);
  const platforms: CatalogPlatform[] =
    tree.root.children.length === 0
      ? [platformOfConfig(firstConfig)]
      : nodes.flatMap((node) => (node.platform === undefined ? [] : [node.platform]));
  return {
    labels: imageLabels(firstConfig),
    kind: item.kind,
    platforms,
    repositoryUri: item.destination.repository.repositoryUri,
    // `latest` keeps the usage text, and so the catalog data, the same from release to release.
    tag: image.tags.includes('latest') ? 'latest' : image.tags[0]!,
    // The repository without the tag, so a new release does not rewrite the about text.
    source: `${item.entry.source.registry}/${item.entry.source.repository}`,
  };
}

/** Catalog data is cosmetic: a failure is a warning, never a failed publish. */
async function updateCatalog(repositoryName: string, source: CatalogSource, run: RunContext): Promise<CatalogReport> {
  try {
    const changed = await syncCatalogData(run.connections.ecrPublic, repositoryName, buildCatalogData(source), {
      logger: run.runtime.logger,
    });
    return {
      repository: source.repositoryUri,
      outcome: changed ? 'updated' : 'unchanged',
      detail: `usage shows :${source.tag}`,
    };
  } catch (error) {
    const message = (error as Error).message;
    run.runtime.logger.warning(`catalog-data: ${message}`);
    return { repository: source.repositoryUri, outcome: 'failed', detail: message };
  }
}
