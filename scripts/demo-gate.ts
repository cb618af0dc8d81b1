// Act 2 of the demo: a private ECR release behind a scan gate; a scripted finding fails it, scan-ignore passes it, then prod.
import type { BasicFinding } from '../testbed/aws-emulator.js';
import type { PaketoRelease } from '../testbed/release.js';
import { skopeoRaw } from '../testbed/skopeo.js';
import type { World } from '../testbed/world.js';
import {
  builderLabels,
  checkTags,
  imagesOf,
  readBack,
  shortDigest,
  sourceDigest,
  type ImageOutput,
  type Readback,
  type Recap,
} from './demo-checks.js';
import { act, runAndShow, say } from './demo-show.js';

const PREFIX = 'buildpacks/';
const FINDING: BasicFinding = {
  name: 'CVE-2024-0001',
  severity: 'HIGH',
  packageName: 'openssl',
  packageVersion: '3.0.2-0ubuntu1.10',
};

/** The linux/amd64 manifest of the run image, as skopeo reads the source index: the gate scans platforms. */
async function amd64Of(world: World, release: PaketoRelease): Promise<string> {
  const index = await skopeoRaw(release.references.runImage.replace(world.hub.host, world.source.host));
  const { manifests } = JSON.parse(index.bytes.toString('utf8')) as {
    manifests: { digest: string; platform?: { architecture: string } }[];
  };
  const amd64 = manifests.find((m) => m.platform?.architecture === 'amd64');
  if (amd64 === undefined) throw new Error('the seeded run image has no linux/amd64 manifest');
  return amd64.digest;
}

export async function act2(world: World, release: PaketoRelease, recap: Recap): Promise<Readback> {
  act('Act 2 · a private ECR release behind a scan gate at HIGH, then prod');
  const runRepository = `${PREFIX}run-jammy-base`;
  const amd64 = await amd64Of(world, release);
  // Private ECR copies keep the source digests, so the scan result can be scripted before the run.
  world.aws.ecr.scriptScan(runRepository, amd64, [{ status: 'COMPLETE', findings: [FINDING] }]);
  say(`Scripted scan: ${FINDING.name} (${FINDING.severity}) in ${FINDING.packageName} of ${runRepository}@${amd64}\n`);
  const inputs = {
    images: `${release.references.runImage}\n${release.references.builder}`,
    'registry-type': 'private',
    'aws-region': world.aws.region,
    'role-to-assume': world.aws.roleArn,
    'repository-prefix': PREFIX,
    'scan-severity-threshold': 'HIGH',
    'promote-tags': 'prod',
  };
  const creds = { username: 'AWS', password: world.privateRegistry.password };
  const putImages = () => world.aws.calls.filter((call) => call.operation === 'PutImage').length;

  const failed = await runAndShow(world, 'ecr-publish to private ECR, gated', inputs, (line) =>
    /^### (Scan gate|Findings)/.test(line),
  );
  const gated = imagesOf(failed);
  const afterFail = await readBack(
    gated.map((image) => image.repository),
    creds,
  );
  const named = failed.stdout.split('\n').filter((line) => line.startsWith('::error') && line.includes(FINDING.name));
  const prodTags = [...afterFail.tags.values()].filter((tags) => tags.has('prod')).length;
  recap.check(
    failed.code !== 0 && named.length === 1 && named[0]!.includes('linux/amd64'),
    `gate, run 1: failed (exit ${failed.code}), naming ${FINDING.name} (${FINDING.severity}, ${FINDING.packageName}, linux/amd64)`,
    `${named.length} error line(s) name it`,
  );
  recap.check(
    gated.length === 2 && prodTags === 0 && putImages() === 0,
    'gate, run 1: no prod tag on the failing run image nor on the passing builder (skopeo), no PutImage (emulator)',
    `${gated.length} images, ${prodTags} prod tag(s), ${putImages()} PutImage call(s)`,
  );

  const passed = await runAndShow(
    world,
    `the same run with scan-ignore: ${FINDING.name}`,
    { ...inputs, 'scan-ignore': FINDING.name },
    (line) => /^### (Findings|Promoted)/.test(line),
  );
  const released = imagesOf(passed);
  const back = await readBack(
    released.map((image) => image.repository),
    creds,
  );
  recap.check(passed.code === 0, `gate, run 2 with scan-ignore: passed (exit ${passed.code})`);
  checkTags(
    recap,
    released.map((image) => ({ ...image, tags: [...image.tags, 'prod'] })),
    back.tags,
    'private ECR',
    ' (prod included)',
  );
  const promoted = gated.filter((image) => back.tags.get(image.repository)?.get('prod') === image.digest);
  recap.check(
    promoted.length === 2 && putImages() === 2,
    `prod promoted only after the pass, to the digests run 1 gated: ${promoted.map(shortName).join(', ')} (skopeo)`,
    `${promoted.length} of 2 promoted, ${putImages()} PutImage call(s)`,
  );
  await checkPrivateMirror(world, recap, released, back);
  return back;
}

const shortName = (image: ImageOutput): string =>
  `${image.repository.split('/').pop() ?? ''}@${shortDigest(image.digest)}`;

/** The private run image is the source's, and the private builder lists it as its mirror. */
async function checkPrivateMirror(
  world: World,
  recap: Recap,
  released: readonly ImageOutput[],
  back: Readback,
): Promise<void> {
  const runImage = released.find((image) => !image.mutated);
  const builder = released.find((image) => image.mutated);
  const mirror = `${world.privateRegistry.host}/${PREFIX}run-jammy-base:latest`;
  const labels = builderLabels((builder && back.images.get(`${builder.repository}@${builder.digest}`)) ?? null);
  const digest = back.tags.get(runImage?.repository ?? '')?.get('latest');
  recap.check(
    digest !== undefined &&
      digest === (runImage && (await sourceDigest(world, runImage.source))) &&
      labels.length === 2 &&
      labels.every(({ label }) => label.stack?.runImage?.mirrors?.includes(mirror)),
    `private ECR: the run image keeps its source digest ${shortDigest(digest)}; the builder lists it, ${mirror}, ` +
      'as mirror on both platforms (skopeo)',
  );
}
