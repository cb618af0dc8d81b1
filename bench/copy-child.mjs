// "This action" as a child process: copies a list of images with the compiled engine
// (.tmp/bench-build/src/oci) and prints one `RESULT {json}` line with its stats and peak RSS.
// The benchmark and the fault suite's SIGKILL scenario both run it. Usage:
//   node bench/copy-child.mjs <job.json>
// job: { engineDir, source: {host}, destination: {host, username, password},
//        images: [{repository, reference, destRepository, tags}], concurrency,
//        stallTimeoutMs?, retry?, writeTps?, spoolParent? }
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const job = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const load = (relative) => import(pathToFileURL(join(job.engineDir, relative)).href);
const { copyImage } = await load('src/oci/copy.js');
const { BlobLocations } = await load('src/oci/transfer.js');
const { connectRegistry } = await load('src/oci/registry.js');
const { BlobSpool } = await load('src/oci/spool.js');
const { Pacer } = await load('src/retry.js');
const { systemRuntime } = await load('src/runtime.js');

const say = (level) => (message) => process.stderr.write(`${level}: ${message}\n`);
const logger = {
  debug: () => undefined,
  info: () => undefined,
  notice: say('notice'),
  warning: say('warning'),
  error: say('error'),
};
if (process.env.BENCH_DEBUG === '1') logger.debug = say('debug');
const runtime = systemRuntime(logger);
const common = {
  runtime,
  ...(job.retry ? { retry: job.retry } : {}),
  ...(job.stallTimeoutMs ? { stallTimeoutMs: job.stallTimeoutMs } : {}),
};
const source = connectRegistry(job.source.host, common);
const destination = connectRegistry(job.destination.host, {
  ...common,
  ...(job.destination.username
    ? { credentials: { username: job.destination.username, password: job.destination.password } }
    : {}),
  ...(job.writeTps ? { writePacer: new Pacer(job.writeTps, runtime) } : {}),
});
const spool = await BlobSpool.create(job.spoolParent ?? tmpdir());
const locations = new BlobLocations();
const results = [];
let exitCode = 0;
try {
  for (const image of job.images) {
    const result = await copyImage(
      { client: source, repository: image.repository },
      image.reference,
      { client: destination, repository: image.destRepository, tags: image.tags },
      { runtime, spool, locations, concurrency: job.concurrency },
    );
    results.push({
      destRepository: image.destRepository,
      digest: result.digest,
      upToDate: result.upToDate,
      stats: result.stats,
    });
  }
} catch (error) {
  process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
  exitCode = 1;
} finally {
  const sourceBytesRead = spool.sourceBytesRead;
  await spool.cleanup();
  const line = { ok: exitCode === 0, results, sourceBytesRead, maxRssBytes: peakRssBytes() };
  process.stdout.write(`RESULT ${JSON.stringify(line)}\n`);
}
process.exit(exitCode);

/**
 * This process's peak RSS. Not process.resourceUsage().maxRSS: Linux carries the parent's
 * high-water mark across fork+exec into ru_maxrss, so a child of a big parent reports the parent.
 */
function peakRssBytes() {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return match ? Number(match[1]) * 1024 : 0;
}
