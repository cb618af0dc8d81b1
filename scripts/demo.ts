// `npm run demo`: the whole job on loopback, through the committed dist/index.js as a runner runs it, checked with skopeo.
/*
 * Act 1 publishes a small Paketo-style release (run and build images, two buildpacks, a builder)
 * from a Docker-Hub-like registry to ECR Public, the builder gaining its run-image mirror. Act 2
 * publishes the run image and builder to private ECR behind a scan gate: a scripted HIGH finding
 * fails it, `scan-ignore` passes it, and only then is `prod` promoted. The recap lists what was
 * read back independently (skopeo, the AWS emulator's record); a fact that does not hold fails the demo.
 */
import { seedPaketoRelease, type PaketoRelease } from '../testbed/release.js';
import { startWorld, type World } from '../testbed/world.js';
import { act2 } from './demo-gate.js';
import {
  builderLabels,
  checkTags,
  checkWhole,
  imagesOf,
  readBack,
  Recap,
  shortDigest,
  sourceDigest,
  type Readback,
} from './demo-checks.js';
import { act, runAndShow, say } from './demo-show.js';

const ALIAS = 'paketo-buildpacks';

async function act1(world: World, release: PaketoRelease, recap: Recap): Promise<Readback> {
  act('Act 1 · a Paketo-style release to ECR Public; the builder gains its run-image mirror');
  const run = await runAndShow(world, 'ecr-publish to ECR Public', {
    images: [
      release.references.runImage,
      release.references.buildImage,
      ...release.references.buildpacks,
      release.references.builder,
    ].join('\n'),
    'registry-type': 'public',
    'public-registry-alias': ALIAS,
    'role-to-assume': world.aws.roleArn,
    tags: '{{tag}}\n{{major}}.{{minor}}\nlatest',
  });
  recap.check(run.code === 0, `ECR Public: the run succeeded (exit ${run.code})`);
  const images = imagesOf(run);
  const creds = { username: 'AWS', password: world.publicRegistry.password };
  const back = await readBack(
    images.map((i) => i.repository),
    creds,
  );
  checkTags(recap, images, back.tags, 'ECR Public');

  const copies = images.filter((image) => !image.mutated);
  const sources = await Promise.all(copies.map((image) => sourceDigest(world, image.source)));
  const differing = copies.filter((image, i) => image.digest !== sources[i]).map((image) => image.repository);
  recap.check(
    copies.length === images.length - 1 && differing.length === 0,
    `ECR Public: ${copies.length} of ${images.length} images hold exactly their source digest; the builder was rewritten (skopeo, both sides)`,
    differing.join(', '),
  );

  const builder = images.find((image) => image.mutated);
  const runImage = images.find((image) => image.repository.endsWith('/run-jammy-base'));
  const mirror = `${runImage?.repository ?? '?'}:latest`;
  const labels = builder ? builderLabels(back.images.get(`${builder.repository}@${builder.digest}`) ?? null) : [];
  const listed = labels.filter(({ label }) =>
    [label.stack?.runImage?.mirrors, ...(label.images ?? []).map((i) => i.mirrors)].every((m) => m?.includes(mirror)),
  );
  const mirrorDigest = back.tags.get(runImage?.repository ?? '')?.get('latest');
  recap.check(
    labels.length === 2 && listed.length === 2 && mirrorDigest === runImage?.digest && mirrorDigest === sources[0],
    `ECR Public: the builder's label lists the mirror ${mirror} on ${listed.map((l) => l.platform).join(' and ')}; ` +
      `the mirror holds the source run image ${shortDigest(mirrorDigest)} (skopeo)`,
    `labels on ${labels.length} platform(s), mirror listed on ${listed.length}, mirror digest ${shortDigest(mirrorDigest)}`,
  );
  return back;
}

const started = Date.now();
const recap = new Recap();
const world = await startWorld();
try {
  say(
    `Docker-Hub-like source: ${world.hub.host}   ECR Public: ${world.publicRegistry.host}   ` +
      `ECR: ${world.privateRegistry.host}   AWS emulator: ${world.aws.endpoint}`,
  );
  say('Each run below is `node dist/index.js` with INPUT_* variables, as on a runner.');
  const release = await seedPaketoRelease({ url: world.source.url }, world.hub.host);
  const publicBack = await act1(world, release, recap);
  const privateBack = await act2(world, release, recap);
  checkWhole(recap, { 'ECR Public': publicBack, 'private ECR': privateBack });
} catch (error) {
  recap.check(false, 'the demo ran to its end', (error as Error).stack ?? String(error));
} finally {
  await world.close();
}
act('Recap: what this demo proved, each line checked independently');
for (const line of recap.lines()) say(line);
const seconds = ((Date.now() - started) / 1000).toFixed(0);
if (recap.failed) {
  say(`\nThe demo FAILED after ${seconds} s: a fact above does not hold.`);
  process.exitCode = 1;
} else {
  say(`\nAll ${recap.lines().length} facts hold (${seconds} s from starting the registries).`);
}
