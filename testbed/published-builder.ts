/** Reads a published builder back with skopeo: each platform's label and the `cnb/*.toml` files of its top layer. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parse as parseToml } from 'smol-toml';
import { extract } from 'tar-stream';
import { layoutBlob, skopeoCopyToLayout } from './skopeo.js';

export interface RunImageEntry {
  image: string;
  mirrors?: string[] | null;
}

export interface BuilderPlatform {
  platform: string;
  manifestAnnotations: Record<string, string>;
  /** The parsed `io.buildpacks.builder.metadata` label. */
  label: { images?: RunImageEntry[]; stack?: { runImage?: RunImageEntry } } & Record<string, unknown>;
  /** The files of the top layer, parsed with smol-toml. */
  runToml: unknown;
  stackToml: unknown;
}

export interface PublishedBuilder {
  digest: string;
  platforms: BuilderPlatform[];
}

type Creds = { username?: string | undefined; password?: string | undefined };

async function tarFiles(gzip: Buffer): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  const ex = extract();
  const done = new Promise<void>((resolve, reject) => {
    ex.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => void chunks.push(c as Buffer));
      stream.on('end', () => {
        files[header.name] = Buffer.concat(chunks).toString('utf8');
        next();
      });
    });
    ex.on('finish', resolve);
    ex.on('error', reject);
  });
  ex.end(gunzipSync(gzip));
  await done;
  return files;
}

type Manifest = {
  manifests?: { digest: string; platform?: { os: string; architecture: string } }[];
  config?: { digest: string };
  layers?: { digest: string }[];
  annotations?: Record<string, string>;
};

/** `skopeo copy --all --preserve-digests` into an OCI layout, then every platform read from the files. */
export async function readPublishedBuilder(reference: string, creds?: Creds): Promise<PublishedBuilder> {
  const dir = mkdtempSync(join(tmpdir(), 'published-builder-'));
  try {
    await skopeoCopyToLayout(reference, dir, 'it', creds);
    const top = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as Manifest;
    const digest = top.manifests![0]!.digest;
    const json = (d: string) => JSON.parse(layoutBlob(dir, d).toString('utf8')) as Manifest;
    const root = json(digest);
    const entries = root.manifests ?? [{ digest }];
    const platforms: BuilderPlatform[] = [];
    for (const entry of entries) {
      const manifest = json(entry.digest);
      const config = json(manifest.config!.digest) as unknown as { config: { Labels: Record<string, string> } };
      const layer = layoutBlob(dir, manifest.layers!.at(-1)!.digest);
      const files = await tarFiles(layer);
      platforms.push({
        platform: entry.platform ? `${entry.platform.os}/${entry.platform.architecture}` : 'single',
        manifestAnnotations: manifest.annotations ?? {},
        label: JSON.parse(config.config.Labels['io.buildpacks.builder.metadata']!) as BuilderPlatform['label'],
        runToml: files['cnb/run.toml'] === undefined ? undefined : parseToml(files['cnb/run.toml']),
        stackToml: files['cnb/stack.toml'] === undefined ? undefined : parseToml(files['cnb/stack.toml']),
      });
    }
    return { digest, platforms };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
