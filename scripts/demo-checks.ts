// The demo's checks: each a fact read back independently (skopeo, the emulator's record), kept for the recap.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ActionRun, World } from '../testbed/world.js';
import {
  layoutBlob,
  readLayoutImage,
  skopeoCopyToLayout,
  skopeoListTags,
  skopeoRaw,
  type LayoutImage,
} from '../testbed/skopeo.js';

export type Creds = { username: string; password: string | undefined };

/** One entry of the action's `images` output. */
export interface ImageOutput {
  source: string;
  sourceDigest: string;
  repository: string;
  digest: string;
  tags: string[];
  mutated: boolean;
}

export const imagesOf = (run: ActionRun): ImageOutput[] => JSON.parse(run.outputs.images ?? '[]') as ImageOutput[];

export const shortDigest = (digest: string | null | undefined): string =>
  (digest ?? 'none').replace(/^sha256:/, '').slice(0, 12);

/** The source registry's own digest of an image the action read through the Docker-Hub-like front. */
export const sourceDigest = async (world: World, source: string): Promise<string> =>
  (await skopeoRaw(source.replace(world.hub.host, world.source.host))).digest;

/** Facts the demo checked, in order; a failed one fails the demo. */
export class Recap {
  private readonly facts: { fact: string; ok: boolean }[] = [];

  /** Records the fact; says at once when it does not hold, so the log shows where. */
  check(ok: boolean, fact: string, failure?: string): boolean {
    this.facts.push({ fact: ok ? fact : `${fact}: NOT SO${failure !== undefined ? ` (${failure})` : ''}`, ok });
    if (!ok) console.log(`✗ check failed: ${fact}${failure !== undefined ? ` (${failure})` : ''}`);
    return ok;
  }

  get failed(): boolean {
    return this.facts.some((f) => !f.ok);
  }

  lines(): string[] {
    return this.facts.map((f) => `${f.ok ? '✓' : '✗'} ${f.fact}`);
  }
}

/** At most `limit` skopeo processes at once: the machine is small and shared. */
export async function inBatches<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += limit)
    results.push(...(await Promise.all(items.slice(i, i + limit).map(work))));
  return results;
}

/** What skopeo reads back from some repositories: each tag's digest, and each image copied whole. */
export interface Readback {
  /** `repository` → tag → digest. */
  tags: Map<string, Map<string, string>>;
  /** `repository@digest` → the image as skopeo copied it whole (`null`: a single manifest, not an index). */
  images: Map<string, LayoutImage | null>;
  /** Tags or images skopeo could not read completely. */
  problems: string[];
}

/** `skopeo copy --all` of `repository@digest` into `dir`: the image if it is an index, `null` if a single manifest. */
async function copyWhole(reference: string, dir: string, creds: Creds): Promise<LayoutImage | null> {
  await skopeoCopyToLayout(reference, dir, 'it', creds);
  const digest = reference.slice(reference.lastIndexOf('@') + 1);
  const top = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
  const root = top.manifests[0]?.digest;
  if (root !== digest) throw new Error(`skopeo copied ${root ?? 'nothing'}, not ${digest}`);
  const manifest = JSON.parse(layoutBlob(dir, root).toString('utf8')) as { manifests?: unknown };
  return manifest.manifests !== undefined ? readLayoutImage(dir, 'it') : null;
}

/**
 * Every tag of `repositories` as skopeo reads it, and every tagged image as skopeo copies it
 * (`copy --all` into an OCI layout, each blob checked against its digest): a manifest or blob that
 * is missing, or a tag that does not resolve, is a problem.
 */
export async function readBack(repositories: readonly string[], creds: Creds): Promise<Readback> {
  const result: Readback = { tags: new Map(), images: new Map(), problems: [] };
  const dir = mkdtempSync(join(tmpdir(), 'ecr-publish-demo-'));
  const problem = (what: string, error: unknown) =>
    result.problems.push(`${what}: ${String((error as { stderr?: unknown }).stderr ?? error).trim()}`);
  try {
    await inBatches(repositories, 4, async (repository) => {
      const tags = new Map<string, string>();
      result.tags.set(repository, tags);
      for (const tag of await skopeoListTags(repository, creds)) {
        await skopeoRaw(`${repository}:${tag}`, creds).then(
          (read) => tags.set(tag, read.digest),
          (error: unknown) => problem(`${repository}:${tag}`, error),
        );
      }
    });
    const images = [...result.tags].flatMap(([repository, tags]) =>
      [...new Set(tags.values())].map((d) => `${repository}@${d}`),
    );
    await inBatches([...images.entries()], 3, async ([i, reference]) => {
      await copyWhole(reference, join(dir, String(i)), creds).then(
        (image) => result.images.set(reference, image),
        (error: unknown) => problem(reference, error),
      );
    });
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The builder label of each platform of a layout image. */
export function builderLabels(image: LayoutImage | null): { platform: string; label: BuilderLabel }[] {
  return (image?.platforms ?? []).map((p) => {
    const labels = (p.config['config'] as { Labels?: Record<string, string> } | undefined)?.Labels ?? {};
    const text = labels['io.buildpacks.builder.metadata'] ?? '{}';
    return { platform: `${p.platform.os}/${p.platform.architecture}`, label: JSON.parse(text) as BuilderLabel };
  });
}

export interface BuilderLabel {
  stack?: { runImage?: { image: string; mirrors?: string[] } };
  images?: { image: string; mirrors?: string[] }[];
}

/** Every tag the action reported reads its digest per skopeo, and no other tag exists. */
export function checkTags(
  recap: Recap,
  images: readonly ImageOutput[],
  tags: Map<string, Map<string, string>>,
  where: string,
  note = '',
): void {
  const wrong = images.flatMap((image) => {
    const found = tags.get(image.repository) ?? new Map<string, string>();
    const expected = image.tags.map((tag) => `${tag}=${shortDigest(image.digest)}`).sort();
    const actual = [...found].map(([tag, digest]) => `${tag}=${shortDigest(digest)}`).sort();
    return expected.join() === actual.join() ? [] : [`${image.repository}: ${actual.join(' ')}`];
  });
  const count = images.reduce((n, image) => n + image.tags.length, 0);
  recap.check(
    wrong.length === 0,
    `${where}: ${images.length} images, ${count} tags${note}, each reads the digest the action reported, no other tag (skopeo)`,
    wrong.join('; '),
  );
}

/** Nothing half-copied: every tagged image of every registry copied whole by skopeo. */
export function checkWhole(recap: Recap, readbacks: Record<string, Readback>): void {
  const counts = Object.entries(readbacks).map(([where, back]) => `${back.images.size} in ${where}`);
  const problems = Object.values(readbacks).flatMap((back) => back.problems);
  recap.check(
    problems.length === 0,
    `nothing half-copied: skopeo copied every tagged image whole (${counts.join(', ')}), each blob checked against its digest`,
    problems.join('; '),
  );
}
