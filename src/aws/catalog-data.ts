/** ECR Public Gallery catalog data from image labels and platforms, written only when it differs. */
import {
  GetRepositoryCatalogDataCommand,
  PutRepositoryCatalogDataCommand,
  type ECRPUBLICClient,
} from '@aws-sdk/client-ecr-public';
import { silentLogger, type Logger } from '../runtime.js';
import { aboutText, catalogFacts, CATALOG_LIMITS, truncateText, usageText } from './catalog-text.js';
import { EcrError, awsErrorText } from './sdk.js';

export interface CatalogData {
  description: string;
  aboutText: string;
  usageText: string;
  architectures: string[];
  operatingSystems: string[];
}

export interface CatalogPlatform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface CatalogSource {
  /** Labels of the image config (for an index, those of any one platform image). */
  labels: Record<string, string>;
  /** From the CNB classifier: 'builder', 'buildpack', 'stack-image', 'run-image', 'build-image', … */
  kind: string;
  platforms: readonly CatalogPlatform[];
  /** As ECR Public returned it, e.g. `public.ecr.aws/paketo-buildpacks/builder-jammy-base`. */
  repositoryUri: string;
  tag: string;
  /** The source reference it was copied from, shown for provenance. */
  source?: string;
}

const ARCHITECTURE_ORDER = ['x86-64', 'ARM 64', 'ARM', 'x86'];
const OS_ORDER = ['Linux', 'Windows'];

/** The Gallery's badge for a platform's CPU, or undefined when it has none (ppc64le, s390x, …). */
export function galleryArchitecture(platform: CatalogPlatform): string | undefined {
  switch (platform.architecture) {
    case 'amd64':
      return 'x86-64';
    case 'arm64':
      return 'ARM 64';
    case 'arm':
      return 'ARM';
    case '386':
      return 'x86';
    default:
      return undefined;
  }
}

export function galleryOperatingSystem(os: string): string | undefined {
  if (os === 'linux') return 'Linux';
  if (os === 'windows') return 'Windows';
  return undefined;
}

function inOrder(values: Iterable<string | undefined>, order: readonly string[]): string[] {
  const present = new Set(values);
  return order.filter((value) => present.has(value));
}

export function buildCatalogData(input: CatalogSource): CatalogData {
  const facts = catalogFacts(input);
  const { platforms } = input;
  return {
    description: truncateText(facts.rawDescription.replace(/\s+/g, ' ').trim(), CATALOG_LIMITS.description),
    aboutText: truncateText(aboutText(facts, input), CATALOG_LIMITS.aboutText, true),
    usageText: truncateText(
      usageText(input.kind, `${input.repositoryUri}:${input.tag}`),
      CATALOG_LIMITS.usageText,
      true,
    ),
    architectures: inOrder(platforms.map(galleryArchitecture), ARCHITECTURE_ORDER),
    operatingSystems: inOrder(
      platforms.map((platform) => galleryOperatingSystem(platform.os)),
      OS_ORDER,
    ),
  };
}

function sameSet(left: readonly string[] | undefined, right: readonly string[]): boolean {
  const a = new Set(left ?? []);
  const b = new Set(right);
  return a.size === b.size && [...a].every((value) => b.has(value));
}

/**
 * Writes the catalog data only when it differs; returns whether it changed.
 * The logo is not ours to manage: it is never sent.
 */
export async function syncCatalogData(
  client: ECRPUBLICClient,
  repositoryName: string,
  desired: CatalogData,
  options: { registryId?: string; logger?: Logger } = {},
): Promise<boolean> {
  const logger = options.logger ?? silentLogger;
  const target = { repositoryName, ...(options.registryId === undefined ? {} : { registryId: options.registryId }) };
  let current;
  try {
    current = (await client.send(new GetRepositoryCatalogDataCommand(target))).catalogData;
  } catch (error) {
    throw new EcrError(
      `Could not read the catalog data of ECR Public repository "${repositoryName}": ${awsErrorText(error)}`,
    );
  }
  const unchanged =
    (current?.description ?? '') === desired.description &&
    (current?.aboutText ?? '') === desired.aboutText &&
    (current?.usageText ?? '') === desired.usageText &&
    sameSet(current?.architectures, desired.architectures) &&
    sameSet(current?.operatingSystems, desired.operatingSystems);
  if (unchanged) {
    logger.debug(`Catalog data of ${repositoryName} is up to date.`);
    return false;
  }
  try {
    await client.send(new PutRepositoryCatalogDataCommand({ ...target, catalogData: { ...desired } }));
  } catch (error) {
    throw new EcrError(
      `Could not update the catalog data of ECR Public repository "${repositoryName}": ${awsErrorText(error)}`,
    );
  }
  logger.info(`Updated the catalog data of ${repositoryName}.`);
  return true;
}
