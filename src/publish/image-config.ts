/** Reading an image's config blob during a run (from the spool), and the platform it names. */
import { readFile } from 'node:fs/promises';
import type { CatalogPlatform } from '../aws/catalog-data.js';
import { parseImageConfig } from '../cnb/classify.js';
import type { ImageTree, ManifestNode } from '../oci/copy.js';
import type { BlobSpool } from '../oci/spool.js';

/** The config of one manifest of the tree; read once from the source, then from the spool. */
export async function readConfig(spool: BlobSpool, tree: ImageTree, node: ManifestNode): Promise<Uint8Array> {
  const config = node.blobs[0];
  if (config === undefined) throw new Error(`${tree.source.repository}@${node.digest} has no config`);
  const local = tree.localBlobs.get(config.digest);
  if (local !== undefined) return local;
  return readFile(await spool.fetch(tree.source.client, tree.source.repository, config));
}

/** os/architecture/variant of a single-platform image, from its config. */
export function platformOfConfig(config: Uint8Array): CatalogPlatform {
  const parsed = parseImageConfig(config);
  const text = (key: string): string => (typeof parsed[key] === 'string' ? (parsed[key] as string) : '');
  const variant = text('variant');
  return { os: text('os'), architecture: text('architecture'), ...(variant === '' ? {} : { variant }) };
}
