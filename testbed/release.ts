/** Seeds Paketo-style releases (run/build images, buildpacks, builders, cosign signatures). */
import { gzipSync } from 'node:zlib';
import tarStream from 'tar-stream';
import {
  pseudoRandomBytes,
  pushImage,
  pushIndex,
  type PushedManifest,
  type SeededImage,
  type Target,
} from './images.js';

/** A gzip'd tar of the given files, as a layer. */
export async function tarLayer(files: Record<string, string | Buffer>): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => void chunks.push(c as Buffer));
  const done = new Promise<void>((resolve) => pack.on('end', () => resolve()));
  for (const [name, content] of Object.entries(files))
    pack.entry({ name, mode: 0o644, mtime: new Date(315532801000) }, content);
  pack.finalize();
  await done;
  return gzipSync(Buffer.concat(chunks));
}

export interface BuilderOptions {
  runImage: string;
  /** `both` (current pack), `stack` (older pack, no `images`). */
  shape?: 'both' | 'stack';
  existingMirrors?: string[];
  platforms?: ('amd64' | 'arm64')[];
  os?: string;
  sharedLayers?: Buffer[];
  tag?: string;
  /** Manifest media types; `oci` unless told (pack itself often pushes Docker ones). */
  family?: 'oci' | 'docker';
  /** More `[[run.images]]` after `runImage`, as `pack builder create` writes them (current shape only). */
  extraRunImages?: string[];
  /** Push the one platform's manifest under the tag, with no index. */
  singleManifest?: boolean;
}

export function builderLabel(options: BuilderOptions): string {
  const mirrors = options.existingMirrors ?? [];
  const stack = { runImage: { image: options.runImage, mirrors } };
  const images = [options.runImage, ...(options.extraRunImages ?? [])].map((image) => ({ image, mirrors }));
  const metadata =
    options.shape === 'stack'
      ? {
          description: 'Synthetic builder (old pack)',
          buildpacks: [{ id: 'example/node', version: '1.0.0' }],
          stack,
          lifecycle: { version: '0.17.0' },
          createdBy: { name: 'Pack CLI', version: '0.20.0' },
        }
      : {
          description: 'Synthetic builder',
          buildpacks: [{ id: 'example/node', version: '1.0.0' }],
          stack,
          images,
          lifecycle: { version: '0.20.0', apis: { platform: { supported: ['0.12'] } } },
          createdBy: { name: 'Pack CLI', version: '0.36.0' },
        };
  return JSON.stringify(metadata);
}

export async function pushBuilder(
  target: Target,
  repository: string,
  options: BuilderOptions,
): Promise<{ index: PushedManifest; platforms: SeededImage[] }> {
  const runImages = [options.runImage, ...(options.extraRunImages ?? [])];
  const cnbLayer = await tarLayer({
    'cnb/stack.toml': `[run-image]\n  image = "${options.runImage}"\n`,
    'cnb/run.toml': runImages.map((image) => `[[images]]\n  image = "${image}"\n`).join('\n'),
  });
  const platforms: SeededImage[] = [];
  for (const architecture of options.platforms ?? ['amd64', 'arm64']) {
    platforms.push(
      await pushImage(
        target,
        repository,
        {
          ...(options.family !== undefined ? { family: options.family } : {}),
          architecture,
          ...(options.os !== undefined ? { os: options.os } : {}),
          layers: [
            pseudoRandomBytes(20_000, architecture.length + repository.length),
            ...(options.sharedLayers ?? []),
            cnbLayer,
          ],
          labels: {
            'io.buildpacks.builder.metadata': builderLabel(options),
            'io.buildpacks.stack.id': 'io.buildpacks.stacks.jammy',
            'org.opencontainers.image.description': 'A synthetic Paketo-style builder',
          },
        },
        options.singleManifest === true ? options.tag : undefined,
      ),
    );
  }
  if (options.singleManifest === true) return { index: platforms[0]!, platforms };
  const index = await pushIndex(
    target,
    repository,
    platforms.map((p, i) => ({
      manifest: p,
      platform: { os: options.os ?? 'linux', architecture: (options.platforms ?? ['amd64', 'arm64'])[i]! },
    })),
    {
      ...(options.tag !== undefined ? { tag: options.tag } : {}),
      ...(options.family !== undefined ? { family: options.family } : {}),
    },
  );
  return { index, platforms };
}

export interface PaketoRelease {
  /** Source references (on the Docker-Hub-like front), run image first. */
  references: { runImage: string; buildImage: string; buildpacks: string[]; builder: string };
  digests: Record<string, string>;
}

/**
 * A small Paketo-style release: run and build images (2 platforms), two buildpacks sharing a
 * layer with the builder, and a builder whose run image is `index.docker.io/<org>/run-jammy-base:latest`.
 */
export async function seedPaketoRelease(
  target: Target,
  frontHost: string,
  org = 'paketobuildpacks',
): Promise<PaketoRelease> {
  const digests: Record<string, string> = {};
  const stackLabels = {
    'io.buildpacks.stack.id': 'io.buildpacks.stacks.jammy',
    'io.buildpacks.base.distro.name': 'ubuntu',
  };
  const stackImage = async (name: string, seed: number) => {
    const amd = await pushImage(target, `${org}/${name}`, {
      layers: [pseudoRandomBytes(300_000, seed)],
      labels: stackLabels,
    });
    const arm = await pushImage(target, `${org}/${name}`, {
      architecture: 'arm64',
      layers: [pseudoRandomBytes(300_000, seed + 1)],
      labels: stackLabels,
    });
    const index = await pushIndex(
      target,
      `${org}/${name}`,
      [
        { manifest: amd, platform: { os: 'linux', architecture: 'amd64' } },
        { manifest: arm, platform: { os: 'linux', architecture: 'arm64' } },
      ],
      { tag: '0.1.2' },
    );
    digests[name] = index.digest;
  };
  await stackImage('run-jammy-base', 100);
  await stackImage('build-jammy-base', 200);
  const shared = pseudoRandomBytes(400_000, 300);
  for (const [i, name] of ['node-engine', 'npm-install'].entries()) {
    const image = await pushImage(
      target,
      `${org}/${name}`,
      {
        layers: [shared, pseudoRandomBytes(50_000, 310 + i)],
        labels: {
          'io.buildpacks.buildpackage.metadata': JSON.stringify({
            id: `paketo-buildpacks/${name}`,
            version: '1.2.3',
            homepage: 'https://example.invalid',
          }),
        },
      },
      '1.2.3',
    );
    digests[name] = image.digest;
  }
  const builder = await pushBuilder(target, `${org}/builder-jammy-base`, {
    runImage: `index.docker.io/${org}/run-jammy-base:latest`,
    sharedLayers: [shared],
    tag: '0.3.13',
  });
  digests['builder-jammy-base'] = builder.index.digest;
  return {
    references: {
      runImage: `${frontHost}/${org}/run-jammy-base:0.1.2`,
      buildImage: `${frontHost}/${org}/build-jammy-base:0.1.2`,
      buildpacks: [`${frontHost}/${org}/node-engine:1.2.3`, `${frontHost}/${org}/npm-install:1.2.3`],
      builder: `${frontHost}/${org}/builder-jammy-base:0.3.13`,
    },
    digests,
  };
}

/** A cosign-style signature: an OCI manifest tagged `sha256-<hex>.sig` next to the image it signs. */
export async function pushCosignSignature(
  target: Target,
  repository: string,
  signedDigest: string,
): Promise<SeededImage & { tag: string }> {
  const tag = `${signedDigest.replace(':', '-')}.sig`;
  const payload = JSON.stringify({
    critical: { image: { 'docker-manifest-digest': signedDigest }, type: 'cosign container image signature' },
  });
  const image = await pushImage(target, repository, { layers: [Buffer.from(payload)], labels: {} }, tag);
  return { ...image, tag };
}

/** An image that carries the builder label with exactly `labelText` (e.g. invalid JSON). */
export async function pushRawBuilder(
  target: Target,
  repository: string,
  labelText: string,
  tag: string,
): Promise<SeededImage> {
  const cnbLayer = await tarLayer({
    'cnb/run.toml': '[[images]]\n  image = "index.docker.io/paketobuildpacks/run-jammy-base:latest"\n',
  });
  return pushImage(
    target,
    repository,
    {
      layers: [pseudoRandomBytes(20_000, 7 + repository.length), cnbLayer],
      labels: { 'io.buildpacks.builder.metadata': labelText, 'io.buildpacks.stack.id': 'io.buildpacks.stacks.jammy' },
    },
    tag,
  );
}
