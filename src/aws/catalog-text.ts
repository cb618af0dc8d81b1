/** The Gallery's texts for an image, from its labels; label text is the image author's and is escaped. */
import {
  BUILDER_METADATA_LABEL,
  BUILDPACKAGE_METADATA_LABEL,
  STACK_DESCRIPTION_LABEL,
  STACK_HOMEPAGE_LABEL,
  STACK_ID_LABEL,
} from '../cnb/labels.js';
import type { CatalogSource } from './catalog-data.js';

/** ECR Public's documented maximum lengths. */
export const CATALOG_LIMITS = { description: 1024, aboutText: 25_600, usageText: 25_600 } as const;

const LABEL_DESCRIPTION = 'org.opencontainers.image.description';
const LABEL_TITLE = 'org.opencontainers.image.title';
const LABEL_SOURCE = 'org.opencontainers.image.source';
const LABEL_URL = 'org.opencontainers.image.url';

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

/** What the texts say of an image, read once from its labels. */
export interface CatalogFacts {
  kindName: string;
  rawDescription: string;
  title: string;
  buildpackId?: string | undefined;
  stackId?: string | undefined;
  sourceUrl?: string | undefined;
  homepage?: string | undefined;
  buildpacks: BuilderBuildpack[];
}

export function catalogFacts(input: CatalogSource): CatalogFacts {
  const { labels, kind, repositoryUri } = input;
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
  return {
    kindName,
    rawDescription:
      nonEmpty(labels[LABEL_DESCRIPTION]) ??
      stringField(builder, 'description') ??
      nonEmpty(labels[STACK_DESCRIPTION_LABEL]) ??
      generated,
    title: nonEmpty(labels[LABEL_TITLE]) ?? buildpackId ?? repositoryNameOf(repositoryUri),
    buildpackId,
    stackId,
    sourceUrl: nonEmpty(labels[LABEL_SOURCE]),
    homepage:
      stringField(buildpackage, 'homepage') ?? nonEmpty(labels[STACK_HOMEPAGE_LABEL]) ?? nonEmpty(labels[LABEL_URL]),
    buildpacks: builderBuildpacks(builder),
  };
}

/** Markdown: title, description, a facts table and, for builders, their buildpacks. */
export function aboutText(facts: CatalogFacts, input: CatalogSource): string {
  const platformNames = [
    ...new Set(
      input.platforms.map((platform) =>
        [platform.os, platform.architecture, platform.variant].filter((part) => part).join('/'),
      ),
    ),
  ];
  const rows: Array<[string, string]> = [['Kind', tableCell(facts.kindName)]];
  if (facts.buildpackId !== undefined) rows.push(['Buildpack ID', `\`${tableCell(facts.buildpackId)}\``]);
  if (facts.stackId !== undefined) rows.push(['Stack', `\`${tableCell(facts.stackId)}\``]);
  if (facts.sourceUrl !== undefined) rows.push(['Source', linkOrText(facts.sourceUrl)]);
  if (facts.homepage !== undefined) rows.push(['Homepage', linkOrText(facts.homepage)]);
  if (platformNames.length > 0)
    rows.push(['Platforms', platformNames.map((name) => `\`${tableCell(name)}\``).join(', ')]);
  if (input.source !== undefined) rows.push(['Copied from', `\`${tableCell(input.source)}\``]);

  const about = [
    `# ${tableCell(facts.title)}`,
    '',
    escapeMarkdown(facts.rawDescription.trim()),
    '',
    '| | |',
    '|---|---|',
    ...rows.map(([key, value]) => `| ${key} | ${value} |`),
  ];
  if (facts.buildpacks.length > 0) {
    about.push('', '## Buildpacks', '');
    for (const buildpack of facts.buildpacks) {
      const version = buildpack.version === undefined ? '' : ` ${tableCell(buildpack.version)}`;
      const link = buildpack.homepage === undefined ? '' : ` — ${linkOrText(buildpack.homepage)}`;
      about.push(`- \`${tableCell(buildpack.id)}\`${version}${link}`);
    }
  }
  return about.join('\n') + '\n';
}

/** Markdown: the pull line, and the pack line that fits the kind. */
export function usageText(kind: string, image: string): string {
  const usage = ['## Pull', '', '```sh', `docker pull ${image}`, '```'];
  const pack = new Map<string, [string, string]>([
    ['builder', ['Build an app with this builder', `pack build my-app --builder ${image}`]],
    ['buildpack', ['Use this buildpack', `pack build my-app --builder <builder> --buildpack docker://${image}`]],
    ['run-image', ['Use this run image', `pack build my-app --builder <builder> --run-image ${image}`]],
  ]);
  const line = pack.get(kind);
  if (line !== undefined) usage.push('', `## ${line[0]}`, '', '```sh', line[1], '```');
  return usage.join('\n') + '\n';
}
