// The synthetic release sets. `--scale N`: a 2-platform builder of 30 layers per platform (KBs to
// >100 MB), a 2-platform run image, and 12 buildpacks that each share 1–3 layers with the builder.
// `--scale full`: a Paketo-sized release day (see describeFullRelease). Layers are generated one at a
// time from fixed seeds, so a set is identical on every run.
import { built } from './build.mjs';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const { blob, pseudoRandomBytes, pushBlob, pushManifest, serialize } = await import(built('testbed/images.js'));

const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
const OCI_LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip';

/** `count` sizes spread geometrically from `smallest` to `largest` bytes. */
function spread(count, smallest, largest) {
  return Array.from({ length: count }, (_, i) => Math.round(smallest * (largest / smallest) ** (i / (count - 1))));
}

/** Layer descriptions only (seed + size), so nothing large is held in memory. */
export function describeRelease(scale = 1) {
  if (scale === 'full') return describeFullRelease();
  const platforms = [
    { architecture: 'amd64', sizes: spread(30, 3 * 1024, 110 * MiB * scale), seedBase: 1000 },
    { architecture: 'arm64', sizes: spread(30, 2 * 1024, 64 * MiB * scale), seedBase: 2000 },
  ];
  const builder = platforms.map((p) => ({
    architecture: p.architecture,
    layers: p.sizes.map((size, i) => ({ seed: p.seedBase + i, size: size + i })),
  }));
  const run = [
    {
      architecture: 'amd64',
      layers: [30 * MiB * scale, 2 * MiB, 10 * 1024].map((size, i) => ({ seed: 3000 + i, size })),
    },
    {
      architecture: 'arm64',
      layers: [28 * MiB * scale, 2 * MiB, 9 * 1024].map((size, i) => ({ seed: 3100 + i, size })),
    },
  ];
  // Buildpack layers are the builder's mid-sized layers (its buildpack layers), 1–3 each.
  const amd = builder[0].layers;
  const buildpacks = Array.from({ length: 12 }, (_, k) => ({
    name: `bp-${String(k + 1).padStart(2, '0')}`,
    layers: Array.from({ length: 1 + (k % 3) }, (_, j) => amd[10 + ((k + 5 * j) % 16)]),
  }));
  return { builder, run, buildpacks };
}

/**
 * A release day at Paketo's size: a 2-platform builder of 1 GiB per platform in 40 layers (the
 * largest 300 MiB, base layers first), a build image whose 3 layers are the builder's base layers
 * (as a CNB builder is built on its build image), a 2-platform run image of its own, and 40
 * buildpacks that each share 1–3 of the builder's mid-sized layers.
 */
function describeFullRelease() {
  const builder = [
    { architecture: 'amd64', seedBase: 11000 },
    { architecture: 'arm64', seedBase: 12000 },
  ].map((p) => {
    const sizes = spread(40, 4 * 1024, 300 * MiB).reverse();
    const rest = sizes.slice(1).reduce((a, b) => a + b, 0);
    const factor = (GiB - sizes[0]) / rest;
    const scaled = [sizes[0], ...sizes.slice(1).map((size) => Math.round(size * factor))];
    scaled[scaled.length - 1] += GiB - scaled.reduce((a, b) => a + b, 0);
    return { architecture: p.architecture, layers: scaled.map((size, i) => ({ seed: p.seedBase + i, size })) };
  });
  const build = builder.map((p) => ({ architecture: p.architecture, layers: p.layers.slice(0, 3) }));
  const run = [
    { architecture: 'amd64', seedBase: 13000 },
    { architecture: 'arm64', seedBase: 13100 },
  ].map((p) => ({
    architecture: p.architecture,
    layers: [60 * MiB, 4 * MiB, 12 * 1024].map((size, i) => ({ seed: p.seedBase + i, size: size + i })),
  }));
  const amd = builder[0].layers;
  const buildpacks = Array.from({ length: 40 }, (_, k) => ({
    name: `bp-${String(k + 1).padStart(2, '0')}`,
    layers: Array.from({ length: 1 + (k % 3) }, (_, j) => amd[6 + ((k + 7 * j) % 20)]),
  }));
  return { builder, build, run, buildpacks };
}

async function pushLayers(target, repository, layers) {
  const descriptors = [];
  for (const layer of layers) {
    const b = blob(pseudoRandomBytes(layer.size, layer.seed));
    await pushBlob(target, repository, b);
    descriptors.push({ mediaType: OCI_LAYER, digest: b.digest, size: b.size });
  }
  return descriptors;
}

/**
 * The labels that make the action classify each image as a real release's would, so it publishes them in
 * its stages (run/build images, then buildpacks, then builders). The builder names no run image: the
 * bench runs with `run-image-mirror: false`.
 */
function cnbLabels(label) {
  const kind = label.split('-')[0];
  if (kind === 'builder') return { 'io.buildpacks.builder.metadata': '{}', 'io.buildpacks.stack.id': 'bench' };
  if (kind === 'run' || kind === 'build') return { 'io.buildpacks.stack.id': 'bench' };
  return { 'io.buildpacks.buildpackage.metadata': '{}' };
}

async function pushSingle(target, repository, architecture, layers, label) {
  const descriptors = await pushLayers(target, repository, layers);
  const config = blob(
    Buffer.from(
      JSON.stringify({
        architecture,
        os: 'linux',
        config: { Labels: { 'io.buildpacks.bench': label, ...cnbLabels(label) } },
        rootfs: { type: 'layers', diff_ids: descriptors.map((d) => d.digest) },
      }),
    ),
  );
  await pushBlob(target, repository, config);
  const manifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: OCI_CONFIG, digest: config.digest, size: config.size },
    layers: descriptors,
  };
  const bytes = serialize(manifest);
  const digest = blob(bytes).digest;
  await pushManifest(target, repository, digest, { bytes, mediaType: OCI_MANIFEST });
  return {
    digest,
    size: bytes.length,
    mediaType: OCI_MANIFEST,
    blobs: [
      { digest: config.digest, size: config.size },
      ...descriptors.map(({ digest: d, size }) => ({ digest: d, size })),
    ],
  };
}

async function pushMultiPlatform(target, repository, platforms, tag, label) {
  const children = [];
  for (const p of platforms)
    children.push({
      ...(await pushSingle(target, repository, p.architecture, p.layers, `${label}-${p.architecture}`)),
      architecture: p.architecture,
    });
  const index = {
    schemaVersion: 2,
    mediaType: OCI_INDEX,
    manifests: children.map((c) => ({
      mediaType: c.mediaType,
      digest: c.digest,
      size: c.size,
      platform: { os: 'linux', architecture: c.architecture },
    })),
  };
  const bytes = serialize(index);
  const digest = blob(bytes).digest;
  await pushManifest(target, repository, tag, { bytes, mediaType: OCI_INDEX });
  return {
    repository,
    tag,
    digest,
    manifests: [...children.map((c) => c.digest), digest],
    blobs: children.flatMap((c) => c.blobs),
  };
}

/**
 * Pushes the release set to `target` ({url}) and returns per image: repository, tag, root digest,
 * manifests (children first) and blobs.
 */
export async function seedRelease(target, scale = 1) {
  const plan = describeRelease(scale);
  const images = [];
  images.push(await pushMultiPlatform(target, 'buildpacks/builder', plan.builder, '1.0.0', 'builder'));
  images.push(await pushMultiPlatform(target, 'buildpacks/run', plan.run, '1.0.0', 'run'));
  if (plan.build) images.push(await pushMultiPlatform(target, 'buildpacks/build', plan.build, '1.0.0', 'build'));
  for (const bp of plan.buildpacks) {
    const single = await pushSingle(target, `buildpacks/${bp.name}`, 'amd64', bp.layers, bp.name);
    await pushManifest(target, `buildpacks/${bp.name}`, '1.0.0', {
      bytes: await manifestBytes(target, `buildpacks/${bp.name}`, single.digest),
      mediaType: OCI_MANIFEST,
    });
    images.push({
      repository: `buildpacks/${bp.name}`,
      tag: '1.0.0',
      digest: single.digest,
      manifests: [single.digest],
      blobs: single.blobs,
    });
  }
  const unique = new Map();
  for (const image of images) for (const b of image.blobs) unique.set(b.digest, b.size);
  const manifests = new Set(images.flatMap((image) => image.manifests));
  return {
    images,
    uniqueBlobBytes: [...unique.values()].reduce((a, b) => a + b, 0),
    uniqueBlobs: unique.size,
    // What a client must fetch at least once: every blob and every manifest.
    uniqueObjects: unique.size + manifests.size,
  };
}

async function manifestBytes(target, repository, digest) {
  const response = await fetch(`${target.url}/v2/${repository}/manifests/${digest}`, {
    headers: { accept: OCI_MANIFEST },
  });
  return Buffer.from(await response.arrayBuffer());
}
