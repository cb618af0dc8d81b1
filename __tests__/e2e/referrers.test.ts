import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  OCI_INDEX,
  pseudoRandomBytes,
  pushImage,
  pushManifest,
  pushReferrer,
  serialize,
  type Artifact,
  type SeededImage,
} from '../../testbed/images.js';
import { pushCosignSignature } from '../../testbed/release.js';
import { skopeoRaw } from '../../testbed/skopeo.js';
import { startWorld, type ActionRun, type World } from '../support/world.js';

/** A signed release keeps its signature and SBOM on ECR, under the digest they refer to. */
describe('end to end: signatures and SBOMs come along', () => {
  let world: World;
  let image: SeededImage;
  let signature: { digest: string; tag: string };
  let sbom: Artifact;
  let run: ActionRun;
  const creds = () => ({ username: 'AWS', password: world.privateRegistry.password });

  beforeAll(async () => {
    world = await startWorld();
    const source = { url: world.source.url };
    image = await pushImage(source, 'org/signed', { layers: [pseudoRandomBytes(30_000, 21)] }, '1.4.0');
    signature = await pushCosignSignature(source, 'org/signed', image.digest);
    sbom = await pushReferrer(source, 'org/signed', image, 'application/spdx+json', '{"spdxVersion":"SPDX-2.3"}');
    // The source has no referrers API (distribution 2.8): the fallback tag lists the SBOM.
    const fallback = serialize({
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: [
        {
          mediaType: sbom.mediaType,
          digest: sbom.digest,
          size: sbom.size,
          artifactType: sbom.artifactType,
          annotations: sbom.annotations,
        },
      ],
    });
    await pushManifest(source, 'org/signed', image.digest.replace(':', '-'), { bytes: fallback, mediaType: OCI_INDEX });
    run = await world.runAction({
      images: `${world.hub.host}/org/signed:1.4.0`,
      'registry-type': 'private',
      'aws-region': world.aws.region,
      'role-to-assume': world.aws.roleArn,
    });
  });

  afterAll(async () => {
    await world?.close();
  });

  it('publishes the image digest-preserved', async () => {
    expect(run.code).toBe(0);
    expect((await skopeoRaw(`${world.privateRegistry.host}/signed:1.4.0`, creds())).digest).toBe(image.digest);
  });

  it('copies the cosign signature under its tag (checked with skopeo)', async () => {
    expect((await skopeoRaw(`${world.privateRegistry.host}/signed:${signature.tag}`, creds())).digest).toBe(
      signature.digest,
    );
  });

  it('copies the OCI referrer by digest and lists it in the destination fallback tag', async () => {
    const copied = await skopeoRaw(`${world.privateRegistry.host}/signed@${sbom.digest}`, creds());
    expect(copied.digest).toBe(sbom.digest);
    expect((JSON.parse(copied.bytes.toString()) as { subject: { digest: string } }).subject.digest).toBe(image.digest);
    const index = await skopeoRaw(`${world.privateRegistry.host}/signed:${image.digest.replace(':', '-')}`, creds());
    expect(
      (JSON.parse(index.bytes.toString()) as { manifests: { digest: string }[] }).manifests.map((m) => m.digest),
    ).toContain(sbom.digest);
  });

  it('says so in the job summary', () => {
    expect(run.summary).toMatch(/Signatures, attestations and SBOMs copied: .*signed \(2\)/);
  });
});
