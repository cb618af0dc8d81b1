/** ECR Public Gallery catalog data from image labels and platforms, written only when it differs. */
import {
  GetRepositoryCatalogDataCommand,
  PutRepositoryCatalogDataCommand,
  type ECRPUBLICClient,
} from '@aws-sdk/client-ecr-public';
import {
  BUILDER_METADATA_LABEL,
  BUILDPACKAGE_METADATA_LABEL,
  STACK_DESCRIPTION_LABEL,
  STACK_HOMEPAGE_LABEL,
  STACK_ID_LABEL,
} from '../cnb/labels.js';
import { silentLogger, type Logger } from '../runtime.js';
import { EcrError, awsErrorText } from './ecr.js';

export interface CatalogData {
  description: string;
  aboutText: string;
  usageText: string;
  architectures: string[];
  operatingSystems: string[];
}

/** ECR Public's documented maximum lengths. */
export const CATALOG_LIMITS = { description: 1024, aboutText: 25_600, usageText: 25_600 } as const;

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

const LABEL_DESCRIPTION = 'org.opencontainers.image.description';
const LABEL_TITLE = 'org.opencontainers.image.title';
const LABEL_SOURCE = 'org.opencontainers.image.source';
const LABEL_URL = 'org.opencontainers.image.url';

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

/**
 * Cuts to at most `max` UTF-16 units without splitting a surrogate pair; markdown is cut at a line
 * boundary when one is near, and an open code fence is closed.
 */
export function truncateText(text: string, max: number, markdown = false): string {
  if (text.length <= max) return text;
  const marker = markdown ? '\n\n…\n' : '…';
  const fenceCloser = '\n```';
  let end = Math.max(0, max - marker.length - (markdown ? fenceCloser.length : 0));
  const lastUnit = text.charCodeAt(end - 1);
  if (lastUnit >= 0xd800 && lastUnit <= 0xdbff) end -= 1;
  let cut = text.slice(0, end);
  if (markdown) {
    const lastNewline = cut.lastIndexOf('\n');
    if (lastNewline > end / 2) cut = cut.slice(0, lastNewline);
    const fences = cut.match(/^```/gm)?.length ?? 0;
    if (fences % 2 === 1) cut += fenceCloser;
  }
  return cut + marker;
}

function parseJsonLabel(labels: Record<string, string>, name: string): Record<string, unknown> {
  const text = labels[name];
  if (text === undefined) return {};
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

function stringField(record: Record<string, unknown>, key: string): string | undefined {
  const value = record[key];
  return typeof value === 'string' && value.trim().length > 0 ? value.trim() : undefined;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value !== undefined && value.trim().length > 0 ? value.trim() : undefined;
}

/** Label text is the image author's; keep it from becoming HTML or breaking a table. */
function escapeMarkdown(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function tableCell(text: string): string {
  return escapeMarkdown(text.replace(/\s+/g, ' ').trim()).replace(/\|/g, '\\|');
}

function linkOrText(value: string): string {
  return /^https?:\/\/[^\s()<>]+$/.test(value) ? `[${value}](${value})` : tableCell(value);
}

interface BuilderBuildpack {
  id: string;
  version?: string;
  homepage?: string;
}

function builderBuildpacks(metadata: Record<string, unknown>): BuilderBuildpack[] {
  const list = metadata['buildpacks'];
  if (!Array.isArray(list)) return [];
  const result: BuilderBuildpack[] = [];
  for (const entry of list) {
    if (typeof entry !== 'object' || entry === null) continue;
    const record = entry as Record<string, unknown>;
    const id = stringField(record, 'id');
    if (id === undefined) continue;
    const version = stringField(record, 'version');
    const homepage = stringField(record, 'homepage');
    result.push({ id, ...(version === undefined ? {} : { version }), ...(homepage === undefined ? {} : { homepage }) });
  }
  return result;
}

const KIND_NAMES: Record<string, string> = {
  builder: 'Cloud Native Buildpacks builder',
  buildpack: 'Cloud Native Buildpack',
  extension: 'Cloud Native Buildpacks image extension',
  'stack-image': 'Cloud Native Buildpacks stack image',
  'run-image': 'Cloud Native Buildpacks run image',
  'build-image': 'Cloud Native Buildpacks build image',
};

function repositoryNameOf(repositoryUri: string): string {
  const slash = repositoryUri.indexOf('/');
  return slash < 0 ? repositoryUri : repositoryUri.slice(slash + 1);
}

export function buildCatalogData(input: CatalogSource): CatalogData {
  const { labels, kind, platforms, repositoryUri, tag } = input;
  const builder = kind === 'builder' ? parseJsonLabel(labels, BUILDER_METADATA_LABEL) : {};
  const buildpackage = parseJsonLabel(labels, BUILDPACKAGE_METADATA_LABEL);
  const buildpackId = stringField(buildpackage, 'id');
  const stackId = nonEmpty(labels[STACK_ID_LABEL]);
  const kindName = KIND_NAMES[kind] ?? 'Container image';

  const generated =
    buildpackId !== undefined
      ? `${kindName} ${buildpackId}`
      : stackId !== undefined
        ? `${kindName} (stack ${stackId})`
        : kindName;
  const rawDescription =
    nonEmpty(labels[LABEL_DESCRIPTION]) ??
    stringField(builder, 'description') ??
    nonEmpty(labels[STACK_DESCRIPTION_LABEL]) ??
    generated;
  const description = truncateText(rawDescription.replace(/\s+/g, ' ').trim(), CATALOG_LIMITS.description);

  const title = nonEmpty(labels[LABEL_TITLE]) ?? buildpackId ?? repositoryNameOf(repositoryUri);
  const sourceUrl = nonEmpty(labels[LABEL_SOURCE]);
  const homepage =
    stringField(buildpackage, 'homepage') ?? nonEmpty(labels[STACK_HOMEPAGE_LABEL]) ?? nonEmpty(labels[LABEL_URL]);
  const platformNames = [
    ...new Set(
      platforms.map((platform) =>
        [platform.os, platform.architecture, platform.variant].filter((part) => part).join('/'),
      ),
    ),
  ];

  const rows: Array<[string, string]> = [['Kind', tableCell(kindName)]];
  if (buildpackId !== undefined) rows.push(['Buildpack ID', `\`${tableCell(buildpackId)}\``]);
  if (stackId !== undefined) rows.push(['Stack', `\`${tableCell(stackId)}\``]);
  if (sourceUrl !== undefined) rows.push(['Source', linkOrText(sourceUrl)]);
  if (homepage !== undefined) rows.push(['Homepage', linkOrText(homepage)]);
  if (platformNames.length > 0)
    rows.push(['Platforms', platformNames.map((name) => `\`${tableCell(name)}\``).join(', ')]);
  if (input.source !== undefined) rows.push(['Copied from', `\`${tableCell(input.source)}\``]);

  const about = [
    `# ${tableCell(title)}`,
    '',
    escapeMarkdown(rawDescription.trim()),
    '',
    '| | |',
    '|---|---|',
    ...rows.map(([key, value]) => `| ${key} | ${value} |`),
  ];
  const buildpacks = builderBuildpacks(builder);
  if (buildpacks.length > 0) {
    about.push('', '## Buildpacks', '');
    for (const buildpack of buildpacks) {
      const version = buildpack.version === undefined ? '' : ` ${tableCell(buildpack.version)}`;
      const link = buildpack.homepage === undefined ? '' : ` — ${linkOrText(buildpack.homepage)}`;
      about.push(`- \`${tableCell(buildpack.id)}\`${version}${link}`);
    }
  }
  const aboutText = truncateText(about.join('\n') + '\n', CATALOG_LIMITS.aboutText, true);

  const image = `${repositoryUri}:${tag}`;
  const usage = ['## Pull', '', '```sh', `docker pull ${image}`, '```'];
  if (kind === 'builder') {
    usage.push('', '## Build an app with this builder', '', '```sh', `pack build my-app --builder ${image}`, '```');
  } else if (kind === 'buildpack') {
    usage.push(
      '',
      '## Use this buildpack',
      '',
      '```sh',
      `pack build my-app --builder <builder> --buildpack docker://${image}`,
      '```',
    );
  } else if (kind === 'run-image') {
    usage.push(
      '',
      '## Use this run image',
      '',
      '```sh',
      `pack build my-app --builder <builder> --run-image ${image}`,
      '```',
    );
  }
  const usageText = truncateText(usage.join('\n') + '\n', CATALOG_LIMITS.usageText, true);

  return {
    description,
    aboutText,
    usageText,
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
