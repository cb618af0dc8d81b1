/**
 * `npm run demo`: publishes a small Paketo-style release (run and build images, two buildpacks, a
 * builder) from a local Docker-Hub-like registry through the local AWS emulator to local ECR
 * Public and private ECR registries, running `dist/index.js` exactly as a runner would.
 */
import { seedPaketoRelease } from '../testbed/release.js';
import { startWorld } from '../testbed/world.js';

function summaryAsText(html: string): string {
  return html
    .replace(/<h3>(.*?)<\/h3>/g, '\n## $1\n')
    .replace(/<\/t[hd]>/g, ' | ')
    .replace(/<\/tr>/g, '\n')
    .replace(/<summary>(.*?)<\/summary>/g, '\n$1\n')
    .replace(/<[^>]+>/g, '')
    .replace(/&gt;/g, '>')
    .replace(/&lt;/g, '<')
    .replace(/&amp;/g, '&')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

const world = await startWorld();
try {
  console.log(
    `source (Docker-Hub-like): ${world.hub.host}   ECR Public: ${world.publicRegistry.host}   ECR: ${world.privateRegistry.host}   AWS emulator: ${world.aws.endpoint}\n`,
  );
  const release = await seedPaketoRelease({ url: world.source.url }, world.hub.host);
  const images = [
    release.references.runImage,
    release.references.buildImage,
    ...release.references.buildpacks,
    release.references.builder,
  ].join('\n');
  const run = await world.runAction({
    images,
    'registry-type': 'public',
    'public-registry-alias': 'paketo-buildpacks',
    'role-to-assume': world.aws.roleArn,
    tags: '{{tag}}\n{{major}}.{{minor}}\nlatest',
  });
  const log = run.stdout
    .split('\n')
    .filter((line) => !line.startsWith('::add-mask::') && !line.startsWith('::debug::'))
    .join('\n');
  console.log('--- action log ---');
  console.log(log.trim());
  console.log('\n--- job summary ---');
  console.log(summaryAsText(run.summary));
  console.log('\n--- outputs.images ---');
  console.log(JSON.stringify(JSON.parse(run.outputs.images ?? '[]'), null, 2));
  if (run.code !== 0) {
    console.error(run.stderr);
    process.exitCode = 1;
  }
} finally {
  await world.close();
}
