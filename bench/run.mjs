// npm run bench — copies a synthetic CNB release set between real registries and compares this
// action with skopeo and with a bare GET→PUT floor. See bench/README.md.
import { spawn } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { performance } from 'node:perf_hooks';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildEngine, built, repoRoot } from './build.mjs';
import { actionRunEnvironment, readOutputs } from './action-env.mjs';
import { buildTimeline, timelineSvg, timelineTable } from './timeline.mjs';

const MB = 1e6;
const args = parseArgs(process.argv.slice(2));
buildEngine();
const { startRegistry } = await import(built('testbed/registry.js'));
const { startProxy } = await import(built('testbed/http-proxy.js'));
const { startDockerHubFront } = await import(built('testbed/docker-hub-front.js'));
const { startAwsEmulator } = await import(built('testbed/aws-emulator.js'));
const { mountModeOptions } = await import(built('testbed/mount-modes.js'));
const { blob, pseudoRandomBytes, pushBlob, pushManifest, serialize } = await import(built('testbed/images.js'));
const { seedRelease } = await import('./release.mjs');

function parseArgs(argv) {
  const options = {
    runs: 3,
    scale: 1,
    latencyMs: 20,
    mbps: 40,
    concurrency: 8,
    modes: ['wan', 'loopback'],
    // How the destination answers mounts: never (ECR Public), ECR's rule (BLOB_MOUNTING), the OCI spec's.
    mounts: ['none', 'ecr', 'spec'],
    gib: true,
    // Tracked files change only when asked: a benchmark run leaves the checkout clean.
    record: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    if (flag === '--runs') options.runs = positive(flag, value());
    else if (flag === '--scale') {
      const v = value();
      options.scale = v === 'full' ? 'full' : positive(flag, v);
    } else if (flag === '--mounts') options.mounts = value().split(',');
    else if (flag === '--latency-ms') options.latencyMs = Number(value());
    else if (flag === '--mbps') options.mbps = positive(flag, value());
    else if (flag === '--concurrency') options.concurrency = positive(flag, value());
    else if (flag === '--modes') options.modes = value().split(',');
    else if (flag === '--no-gib') options.gib = false;
    else if (flag === '--record') options.record = true;
    else if (flag === '--no-readme') options.record = false;
    else if (flag === '--help') {
      console.log(
        'node bench/run.mjs [--runs 3] [--scale 1|N|full] [--latency-ms 20] [--mbps 40] [--concurrency 8] [--modes wan,loopback] [--mounts none,ecr,spec] [--no-gib] [--record]',
      );
      process.exit(0);
    } else throw new Error(`unknown flag ${flag} (try --help)`);
  }
  for (const mode of options.modes)
    if (mode !== 'wan' && mode !== 'loopback') throw new Error(`--modes: unknown mode "${mode}" (wan, loopback)`);
  for (const mode of options.mounts)
    if (!['none', 'ecr', 'spec'].includes(mode)) throw new Error(`--mounts: unknown mode "${mode}" (none, ecr, spec)`);
  // The full-size release carries its own 300 MiB layer; the 1 GiB layer step adds nothing there. Its
  // defaults fit 15 minutes on 2 cores: one WAN run, mounts refused (the goals' setting) and ECR's rule.
  if (options.scale === 'full') {
    options.gib = false;
    if (!argv.includes('--runs')) options.runs = 1;
    if (!argv.includes('--modes')) options.modes = ['wan'];
    if (!argv.includes('--mounts')) options.mounts = ['none', 'ecr'];
  }
  return options;
}

function positive(flag, text) {
  const n = Number(text);
  if (!(n > 0)) throw new Error(`${flag} must be a positive number, got "${text}"`);
  return n;
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/**
 * Runs a child, polling its VmHWM (peak RSS) from /proc while it lives. `cleanEnv` gives it only
 * `env` (the action must not see the bench's own environment, e.g. when the bench runs in CI).
 */
function runChild(command, childArgs, env = {}, { cleanEnv = false, cwd } = {}) {
  return new Promise((resolve) => {
    const started = performance.now();
    const startedAt = Date.now();
    const child = spawn(command, childArgs, {
      env: cleanEnv ? env : { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(cwd ? { cwd } : {}),
    });
    let stdout = '';
    let stderr = '';
    let polledRss = 0;
    let cpuMs = 0;
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-8000)));
    const poll = setInterval(() => {
      try {
        const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (match) polledRss = Math.max(polledRss, Number(match[1]) * 1024);
        // utime + stime in clock ticks (100 per second on Linux), fields 14 and 15 after the command name.
        const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
        cpuMs = Math.max(cpuMs, (Number(fields[11]) + Number(fields[12])) * 10 || 0);
      } catch {
        // exited between polls
      }
    }, 20);
    child.on('close', (code) => {
      clearInterval(poll);
      const resultLine = stdout.split('\n').find((l) => l.startsWith('RESULT '));
      const result = resultLine ? JSON.parse(resultLine.slice(7)) : undefined;
      resolve({
        code,
        startedAt,
        endedAt: Date.now(),
        wallMs: performance.now() - started,
        stdout,
        stderr,
        result,
        peakRssBytes: Math.max(polledRss, result?.maxRssBytes ?? 0),
        cpuMs,
      });
    });
  });
}

const scratch = mkdtempSync(join(tmpdir(), 'ecr-publish-bench-'));
let jobCounter = 0;
function writeJob(job) {
  const path = join(scratch, `job-${++jobCounter}.json`);
  writeFileSync(path, JSON.stringify(job));
  return path;
}

/** Where every contender puts an image: `mirror/` + the source's last path segment (the action's default naming under `repository-prefix: mirror/`). */
const DESTINATION_PREFIX = 'mirror/';
const destinationRepository = (repository) => DESTINATION_PREFIX + repository.split('/').pop();

const distIndex = join(repoRoot, 'dist', 'index.js');
const peakRssHook = pathToFileURL(join(repoRoot, 'bench', 'peak-rss.mjs')).href;

/**
 * This action: the shipped bundle, `node dist/index.js`, all images in one run, each to its own
 * private-ECR repository, through the AWS emulator (OIDC → STS → ECR) whose registry is the
 * destination's counting proxy. The only addition is a preload that records peak RSS at exit.
 */
function actionCommand(network, destination, images) {
  const inputs = {
    images: images.map((i) => `${network.hub.host}/${i.repository}:${i.tag}`).join('\n'),
    'registry-type': 'private',
    'role-to-assume': destination.aws.roleArn,
    'aws-region': destination.aws.region,
    'repository-prefix': DESTINATION_PREFIX,
    tags: '{{tag}}',
    concurrency: String(args.concurrency),
    // The synthetic set has no referrers, and its builder carries no CNB metadata to mirror.
    referrers: 'false',
    'run-image-mirror': 'false',
  };
  const run = actionRunEnvironment({
    actionYmlPath: join(repoRoot, 'action.yml'),
    parentDir: scratch,
    inputs,
    extraEnv: destination.aws.env(),
  });
  return {
    command: process.execPath,
    args: ['--import', peakRssHook, distIndex],
    env: run.env,
    dir: run.dir,
    files: run.files,
  };
}

/** Bytes in the action's spool directories under RUNNER_TEMP right now. */
function spoolBytes(dir) {
  let total = 0;
  for (const name of readdirSync(dir)) {
    if (!name.startsWith('ecr-publish-spool-')) continue;
    for (const file of safeList(join(dir, name))) {
      try {
        total += statSync(join(dir, name, file)).size;
      } catch {
        // renamed or removed between list and stat
      }
    }
  }
  return total;
}

function safeList(path) {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}

async function runAction(network, destination, images) {
  const { command, args: childArgs, env, dir, files } = actionCommand(network, destination, images);
  let spoolPeakBytes = 0;
  const spoolPoll = setInterval(() => (spoolPeakBytes = Math.max(spoolPeakBytes, spoolBytes(dir))), 100);
  const run = await runChild(command, childArgs, env, { cleanEnv: true, cwd: dir });
  clearInterval(spoolPoll);
  const spoolLeft = readdirSync(dir).some((name) => name.startsWith('ecr-publish-spool-'));
  try {
    if (run.code !== 0) {
      const errors = run.stdout
        .split('\n')
        .filter((l) => l.startsWith('::error'))
        .slice(-3);
      throw new Error(
        `action failed (exit ${run.code}): ${[...errors, ...run.stderr.trim().split('\n').slice(-3)].join(' | ')}`,
      );
    }
    const atExit = existsSync(files.peakRss) ? Number(readFileSync(files.peakRss, 'utf8')) : 0;
    const published = JSON.parse(readOutputs(files.output).images ?? '[]');
    return { ...run, peakRssBytes: Math.max(run.peakRssBytes, atExit), published, spoolPeakBytes, spoolLeft };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Every release image appears in the action's `images` output at its source digest (and, warm, with no bytes moved). */
function publishedAsExpected(published, images, { warm }) {
  return images.every((image) => {
    const entry = published.find((p) => p.repository.endsWith(`/${destinationRepository(image.repository)}`));
    return (
      entry !== undefined &&
      entry.digest === image.digest &&
      entry.sourceDigest === image.digest &&
      (!warm || (entry.bytesUploaded === 0 && entry.bytesMounted === 0))
    );
  });
}

async function runSkopeo(network, destination, images) {
  let wallMs = 0;
  let peakRssBytes = 0;
  let cpuMs = 0;
  for (const image of images) {
    const run = await runChild('skopeo', [
      'copy',
      '--all',
      '--preserve-digests',
      '--src-tls-verify=false',
      '--dest-tls-verify=false',
      '--dest-creds',
      `${destination.registry.username}:${destination.registry.password}`,
      `docker://${network.hub.host}/${image.repository}:${image.tag}`,
      `docker://${destination.proxy.host}/${destinationRepository(image.repository)}:${image.tag}`,
    ]);
    if (run.code !== 0) throw new Error(`skopeo failed on ${image.repository}: ${run.stderr.trim().slice(-500)}`);
    wallMs += run.wallMs;
    cpuMs += run.cpuMs;
    peakRssBytes = Math.max(peakRssBytes, run.peakRssBytes);
  }
  return { wallMs, peakRssBytes, cpuMs };
}

async function runFloor(network, destination, images) {
  const blobs = [];
  const manifests = [];
  for (const image of images) {
    const destRepository = destinationRepository(image.repository);
    const seen = new Set();
    for (const b of image.blobs) {
      if (seen.has(b.digest)) continue;
      seen.add(b.digest);
      blobs.push({ repository: image.repository, destRepository, digest: b.digest, size: b.size });
    }
    image.manifests.forEach((digest, i) =>
      manifests.push({
        repository: image.repository,
        destRepository,
        digest,
        reference: i === image.manifests.length - 1 ? image.tag : digest,
      }),
    );
  }
  const job = {
    source: { url: network.hub.url },
    destination: { url: destination.proxy.url, authorization: destination.registry.authorization },
    concurrency: args.concurrency,
    blobs,
    manifests,
  };
  const run = await runChild(process.execPath, [join(repoRoot, 'bench', 'floor-child.mjs'), writeJob(job)]);
  if (run.code !== 0) throw new Error(`floor failed: ${run.stderr.trim().slice(-500)}`);
  return run;
}

/**
 * A fresh destination registry (htpasswd Basic auth, user AWS, like ECR) behind its counting,
 * WAN-emulating proxy. With `aws`, also an AWS emulator whose private ECR names the proxy as its
 * registry, so every repositoryUri the action gets — and every byte it writes — goes through the
 * proxy. The emulator's own backend reads (DescribeImages and the like; undici's `node` user
 * agent) stand for ECR's internal storage access: they pass straight through, uncounted.
 */
async function freshDestination(network, { aws = false, mounts = 'none' } = {}) {
  const registry = await startRegistry({ auth: true });
  const backendRequests = { count: 0 };
  const passThrough = (req, res) => {
    if (!aws || req.headers['user-agent'] !== 'node') return false;
    backendRequests.count++;
    const target = new URL(registry.url);
    const upstream = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: target.host },
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
    return true;
  };
  const proxy = await startProxy({
    target: registry.url,
    ...network.emulation,
    ...mountModeOptions(mounts),
    intercept: passThrough,
  });
  const emulator = aws
    ? await startAwsEmulator({
        registries: { private: { host: proxy.host, username: registry.username, password: registry.password } },
      })
    : undefined;
  return {
    mounts,
    registry,
    proxy,
    aws: emulator,
    backendRequests,
    async stop() {
      await emulator?.close();
      await proxy.close();
      await registry.stop();
    },
  };
}

const byMethod = (requests) => {
  const counts = {};
  for (const r of requests) counts[r.method] = (counts[r.method] ?? 0) + 1;
  return counts;
};

let dumpCounter = 0;
/** What the proxies saw during one contender's run (BENCH_DUMP_EXCHANGES=prefix also writes them to prefix-N.json). */
function traffic(network, destination, release) {
  const sourceExchanges = [...network.hub.front.exchanges, ...network.hub.cdn.exchanges];
  const destExchanges = destination.proxy.exchanges;
  if (process.env.BENCH_DUMP_EXCHANGES)
    writeFileSync(
      `${process.env.BENCH_DUMP_EXCHANGES}-${++dumpCounter}.json`,
      JSON.stringify({ source: sourceExchanges, destination: destExchanges }, null, 1),
    );
  const sourceBlobBytes = network.hub.cdn.downloadedBlobBytes();
  const uploadsPerRepoBlob = new Map();
  for (const e of destExchanges) {
    const match = /^\/v2\/(.+)\/blobs\/uploads\/[^?]*\?.*digest=(sha256(?:%3A|:)[a-f0-9]{64})/.exec(e.path);
    if (e.method === 'PUT' && match && e.status === 201) {
      const key = `${match[1]} ${decodeURIComponent(match[2])}`;
      uploadsPerRepoBlob.set(key, (uploadsPerRepoBlob.get(key) ?? 0) + 1);
    }
  }
  return {
    sourceBytesRead: sourceExchanges.reduce((s, e) => s + e.responseBytes, 0),
    sourceBlobBytes,
    readAmplification: sourceBlobBytes / release.uniqueBlobBytes,
    destinationBytesWritten: destExchanges.reduce((s, e) => s + e.requestBytes, 0),
    destinationBlobBytes: destination.proxy.uploadedBytes(),
    sourceRequests: byMethod([...network.hub.front.received, ...network.hub.cdn.received]),
    destinationRequests: byMethod(destination.proxy.received.filter((r) => !r.intercepted)),
    awsApiCalls: destination.aws ? destination.aws.calls.length : 0,
    emulatorBackendRequests: destination.backendRequests.count,
    maxUploadsOfOneBlobToOneRepo: Math.max(0, ...uploadsPerRepoBlob.values()),
    // Uploads of a blob the registry already had in another repository, where a mount would do.
    redundantUploads:
      [...uploadsPerRepoBlob.values()].reduce((a, b) => a + b, 0) -
      new Set([...uploadsPerRepoBlob.keys()].map((k) => k.split(' ')[1])).size,
    mountsGranted: destExchanges.filter((e) => e.method === 'POST' && /[?&]mount=/.test(e.path) && e.status === 201)
      .length,
    mountsRefused: destExchanges.filter((e) => e.method === 'POST' && /[?&]mount=/.test(e.path) && e.status === 202)
      .length,
    // Requests Docker Hub itself answers (tokens and redirects included; the CDN is not Docker Hub) per unique object.
    hubRequestsPerObject: network.hub.front.received.length / release.uniqueObjects,
  };
}

function resetCounters(network, destination) {
  network.hub.front.reset();
  network.hub.cdn.reset();
  destination?.proxy.reset();
  if (destination) destination.backendRequests.count = 0;
  destination?.aws?.calls.splice(0);
}

/** Every destination tag must hold the source digest, as an independent client reads it. */
async function verify(destination, images) {
  for (const image of images) {
    const run = await runChild('skopeo', [
      'inspect',
      '--raw',
      '--tls-verify=false',
      '--creds',
      `${destination.registry.username}:${destination.registry.password}`,
      `docker://${destination.registry.host}/${destinationRepository(image.repository)}:${image.tag}`,
    ]);
    const { createHash } = await import('node:crypto');
    const digest = `sha256:${createHash('sha256').update(run.stdout).digest('hex')}`;
    if (run.code !== 0 || digest !== image.digest) return false;
  }
  return true;
}

function record(samples, contender, wallMs, peakRssBytes, measured, extra = {}) {
  (samples[contender] ??= []).push({ wallMs, peakRssBytes, ...measured, ...extra });
}

async function benchNetwork(mode, sourceRegistry, release) {
  const emulation = mode === 'wan' ? { latencyMs: args.latencyMs, bytesPerSecond: args.mbps * MB } : {};
  const hub = await startDockerHubFront({ registryUrl: sourceRegistry.url, ...emulation });
  const network = { mode, hub, emulation };
  const samples = {};
  const timelines = {};
  const images = release.images;
  const tags = images.length;
  try {
    for (let run = 1; run <= args.runs; run++) {
      process.stderr.write(`[${mode}] run ${run}/${args.runs}:`);
      // Rotated per run: the first cold run after the previous run's floor is measurably slower (seen on every
      // run), so no mount mode always takes that place.
      const shift = (run - 1) % args.mounts.length;
      for (const mounts of [...args.mounts.slice(shift), ...args.mounts.slice(0, shift)]) {
        process.stderr.write(` action cold+warm (mounts ${mounts})`);
        const destination = await freshDestination(network, { aws: true, mounts });
        resetCounters(network, destination);
        const cold = await runAction(network, destination, images);
        const coldTraffic = traffic(network, destination, release);
        timelines[mounts] = timelineOf(network, destination, cold);
        record(samples, `action cold|${mounts}`, cold.wallMs, cold.peakRssBytes, coldTraffic, {
          cpuMs: cold.cpuMs,
          spoolPeakBytes: cold.spoolPeakBytes,
          spoolRemoved: !cold.spoolLeft,
          verified: publishedAsExpected(cold.published, images, { warm: false }) && (await verify(destination, images)),
        });
        resetCounters(network, destination);
        const warm = await runAction(network, destination, images);
        const warmTraffic = traffic(network, destination, release);
        const destRequests = Object.values(warmTraffic.destinationRequests).reduce((a, b) => a + b, 0);
        record(samples, `action warm|${mounts}`, warm.wallMs, warm.peakRssBytes, warmTraffic, {
          cpuMs: warm.cpuMs,
          destinationRequestsPerTag: destRequests / tags,
          verified: publishedAsExpected(warm.published, images, { warm: true }),
        });
        await destination.stop();
      }
      // skopeo and the floor against a destination that refuses mounts: the floor never mounts anyway.
      for (const [name, contender] of [
        ['skopeo', runSkopeo],
        ['floor', runFloor],
      ]) {
        process.stderr.write(`, ${name}`);
        const destination = await freshDestination(network);
        resetCounters(network, destination);
        const result = await contender(network, destination, images);
        record(samples, `${name}|none`, result.wallMs, result.peakRssBytes, traffic(network, destination, release), {
          cpuMs: result.cpuMs,
          verified: await verify(destination, images),
        });
        await destination.stop();
      }
      process.stderr.write('\n');
    }
  } finally {
    await hub.close();
  }
  return { ...summarize(mode, samples), timelines };
}

/** The cold run's phases as the proxies saw them (the last run's, per destination mount mode). */
function timelineOf(network, destination, run) {
  const timeline = buildTimeline({
    source: [...network.hub.front.exchanges, ...network.hub.cdn.exchanges],
    destination: destination.proxy.exchanges,
    tokens: network.hub.front.received.filter((r) => r.intercepted && r.path.startsWith('/token')),
    startedAt: run.startedAt,
    endedAt: run.endedAt,
  });
  return { wallMs: timeline.wallMs, rows: timeline.rows, events: timeline.events };
}

function summarize(mode, samples) {
  const rows = {};
  for (const [contender, list] of Object.entries(samples)) {
    const row = { runs: list.length, wallMsRuns: list.map((s) => Math.round(s.wallMs)) };
    for (const key of Object.keys(list[0])) {
      const values = list.map((s) => s[key]);
      if (typeof values[0] === 'number') row[key] = median(values);
      else if (typeof values[0] === 'boolean') row[key] = values.every(Boolean);
      else row[key] = values[values.length - 1];
    }
    const [name, mounts] = contender.split('|');
    rows[contender] = { contender: name, mounts, ...row };
  }
  const skopeo = rows['skopeo|none']?.wallMs;
  const floor = rows['floor|none']?.wallMs;
  for (const row of Object.values(rows)) {
    if (skopeo) row.vsSkopeo = row.wallMs / skopeo;
    if (floor) row.vsFloor = row.wallMs / floor;
  }
  return { mode, rows };
}

/** Peak RSS of the action copying one image with a 1 GiB layer, on loopback. */
async function gibLayerRss(sourceRegistry) {
  const size = 1024 * 1024 * 1024;
  process.stderr.write('1 GiB layer: seeding');
  const layer = blob(pseudoRandomBytes(size, 4242));
  await pushBlob({ url: sourceRegistry.url }, 'buildpacks/huge', layer);
  const config = blob(
    Buffer.from(
      JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [layer.digest] } }),
    ),
  );
  await pushBlob({ url: sourceRegistry.url }, 'buildpacks/huge', config);
  const mediaType = 'application/vnd.oci.image.manifest.v1+json';
  const bytes = serialize({
    schemaVersion: 2,
    mediaType,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config.digest, size: config.size },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: layer.digest, size }],
  });
  await pushManifest({ url: sourceRegistry.url }, 'buildpacks/huge', '1.0.0', { bytes, mediaType });
  const image = { repository: 'buildpacks/huge', tag: '1.0.0', digest: blob(bytes).digest, manifests: [], blobs: [] };
  const hub = await startDockerHubFront({ registryUrl: sourceRegistry.url });
  const network = { mode: 'loopback', hub, emulation: {} };
  const destination = await freshDestination(network, { aws: true });
  try {
    process.stderr.write(', copying\n');
    const run = await runAction(network, destination, [image]);
    return {
      layerBytes: size,
      wallMs: run.wallMs,
      peakRssBytes: run.peakRssBytes,
      verified: publishedAsExpected(run.published, [image], { warm: false }) && (await verify(destination, [image])),
    };
  } finally {
    await destination.stop();
    await hub.close();
  }
}

const fmt = {
  s: (ms) => (ms / 1000).toFixed(2),
  mb: (bytes) => (bytes / MB).toFixed(1),
  x: (r) => (r === undefined ? '' : `${r.toFixed(2)}x`),
  reqs: (counts) =>
    Object.entries(counts)
      .sort()
      .map(([m, n]) => `${m} ${n}`)
      .join(', '),
};

function table(results) {
  const header = [
    'network',
    'contender',
    'dst mounts',
    'wall s (median)',
    'vs skopeo',
    'vs floor',
    'src MB read',
    'dst MB written',
    'src requests',
    'dst requests',
    'CPU s',
    'peak RSS MB',
    'spool peak MB',
    'digests ok',
  ];
  const lines = [header];
  for (const { mode, rows } of results.networks) {
    for (const r of Object.values(rows)) {
      lines.push([
        mode,
        r.contender,
        r.mounts,
        fmt.s(r.wallMs),
        fmt.x(r.vsSkopeo),
        fmt.x(r.vsFloor),
        fmt.mb(r.sourceBytesRead),
        fmt.mb(r.destinationBytesWritten),
        fmt.reqs(r.sourceRequests),
        fmt.reqs(r.destinationRequests),
        fmt.s(r.cpuMs),
        fmt.mb(r.peakRssBytes),
        r.spoolPeakBytes === undefined ? '' : fmt.mb(r.spoolPeakBytes),
        r.verified ? 'yes' : 'NO',
      ]);
    }
  }
  return lines;
}

function markdownTable(lines) {
  const [head, ...rest] = lines;
  return [
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...rest.map((l) => `| ${l.join(' | ')} |`),
  ].join('\n');
}

function goals(results) {
  const out = [];
  const check = (ok, text) => out.push(`- ${ok ? 'met' : '**missed**'}: ${text}`);
  const unique = results.release.uniqueBlobBytes;
  for (const n of results.networks) {
    const cold = (mounts) => n.rows[`action cold|${mounts}`];
    // The setting: a destination that refuses mounts (ECR Public); the others are reported.
    for (const mounts of ['none', 'ecr', 'spec']) {
      const row = cold(mounts);
      if (row === undefined) continue;
      const ratios = `${n.mode}, mounts ${mounts}: cold ≤ 1.05x floor and ≤ 0.55x skopeo`;
      const text = `${ratios} (${fmt.x(row.vsFloor)}, ${fmt.x(row.vsSkopeo)})`;
      if (mounts === 'none' && n.mode === 'wan') check(row.vsFloor <= 1.05 && row.vsSkopeo <= 0.55, text);
      else out.push(`- reported: ${text}`);
    }
    for (const [key, row] of Object.entries(n.rows)) {
      if (!key.startsWith('action cold|')) continue;
      const where = `${n.mode}, mounts ${row.mounts}`;
      check(
        Math.abs(row.readAmplification - 1) < 0.005,
        `${where}: source read amplification 1.00 (${row.readAmplification.toFixed(2)})`,
      );
      check(
        row.hubRequestsPerObject <= 1.1,
        `${where}: Docker Hub requests per unique blob or manifest ≤ 1.1, tokens included (${row.hubRequestsPerObject.toFixed(2)})`,
      );
      check(
        row.maxUploadsOfOneBlobToOneRepo <= 1,
        `${where}: each destination repository receives each blob at most once (max ${row.maxUploadsOfOneBlobToOneRepo})`,
      );
      if (row.mounts !== 'none')
        out.push(
          `- reported: ${where}: ${row.mountsGranted} mounts granted, ${row.mountsRefused} refused, ${row.redundantUploads} uploads of a blob already in another repository`,
        );
      check(row.peakRssBytes <= 150 * 1024 * 1024, `${where}: peak RSS ≤ 150 MiB (${fmt.mb(row.peakRssBytes)} MB)`);
      check(
        row.spoolPeakBytes <= unique + 64 * 1024 * 1024 && row.spoolRemoved,
        `${where}: spool peak ≤ unique bytes + 64 MiB (${fmt.mb(row.spoolPeakBytes)} of ${fmt.mb(unique + 64 * 1024 * 1024)} MB), removed at exit (${row.spoolRemoved ? 'yes' : 'NO'})`,
      );
      const warm = n.rows[`action warm|${row.mounts}`];
      check(
        warm.destinationBlobBytes === 0 && warm.destinationRequestsPerTag <= 1.2,
        `${where}: warm re-run writes 0 blob bytes (${warm.destinationBlobBytes}) with ≤ 1.2 requests per tag (${warm.destinationRequestsPerTag.toFixed(2)})`,
      );
    }
  }
  if (results.gibLayer)
    check(
      results.gibLayer.peakRssBytes <= 150 * 1024 * 1024 && results.gibLayer.verified,
      `1 GiB layer: action peak RSS ≤ 150 MiB (${fmt.mb(results.gibLayer.peakRssBytes)} MB, ${fmt.s(results.gibLayer.wallMs)} s)`,
    );
  return out.join('\n');
}

/** The cold run the chart shows: WAN with a destination that refuses mounts, when measured. */
function chartedTimeline(results) {
  const network = results.networks.find((n) => n.mode === 'wan') ?? results.networks[0];
  const mounts = network.timelines.none ? 'none' : Object.keys(network.timelines)[0];
  return { network: network.mode, mounts, timeline: network.timelines[mounts] };
}

/** bench/timeline.svg (ignored by git) on every run; with --record also the tracked per-scale chart. */
function writeTimelines(results) {
  const { network, mounts, timeline } = chartedTimeline(results);
  const title = `action cold, ${network}, destination mounts: ${mounts}, scale ${results.settings.scale} (${fmt.mb(results.release.uniqueBlobBytes)} MB): every exchange by phase`;
  const svg = timelineSvg(timeline, title);
  writeFileSync(join(repoRoot, 'bench', 'timeline.svg'), svg);
  if (args.record) writeFileSync(join(repoRoot, 'bench', `timeline-scale-${results.settings.scale}.svg`), svg);
  return { network, mounts, timeline };
}

function updateReadme(results, lines, charted) {
  const path = join(repoRoot, 'bench', 'README.md');
  const text = readFileSync(path, 'utf8');
  const marker = results.settings.scale === 'full' ? 'results-full' : 'results';
  const start = `<!-- ${marker}:start -->`;
  const end = `<!-- ${marker}:end -->`;
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  if (i < 0 || j < 0) return;
  const { settings } = results;
  const body = [
    '',
    `Latest run: ${results.finishedAt}, ${settings.runs} run(s) per contender, scale ${settings.scale} (${fmt.mb(results.release.uniqueBlobBytes)} MB in ${results.release.uniqueBlobs} unique blobs), ` +
      `concurrency ${settings.concurrency}, WAN emulation ${settings.latencyMs} ms per request and ${settings.mbps} MB/s per connection. ${results.machine}.`,
    '',
    markdownTable(lines),
    '',
    goals(results),
    '',
    `Where the cold run's time goes (${charted.network}, destination mounts ${charted.mounts}, last run), as the proxies saw it; ` +
      `chart: [timeline-scale-${settings.scale}.svg](timeline-scale-${settings.scale}.svg).`,
    '',
    markdownTable(timelineTable(charted.timeline)),
    '',
  ].join('\n');
  writeFileSync(path, text.slice(0, i + start.length) + body + text.slice(j));
}

async function main() {
  const started = Date.now();
  const sourceRegistry = await startRegistry();
  try {
    process.stderr.write(`seeding the release set (scale ${args.scale})… `);
    const release = await seedRelease({ url: sourceRegistry.url }, args.scale);
    process.stderr.write(
      `${fmt.mb(release.uniqueBlobBytes)} MB in ${release.uniqueBlobs} unique blobs, ${release.images.length} images\n`,
    );
    const networks = [];
    for (const mode of args.modes) networks.push(await benchNetwork(mode, sourceRegistry, release));
    const gibLayer = args.gib ? await gibLayerRss(sourceRegistry) : undefined;
    const os = await import('node:os');
    const results = {
      finishedAt: new Date().toISOString(),
      elapsedSeconds: Math.round((Date.now() - started) / 1000),
      machine: `${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown'}), node ${process.version}`,
      settings: {
        runs: args.runs,
        scale: args.scale,
        latencyMs: args.latencyMs,
        mbps: args.mbps,
        concurrency: args.concurrency,
      },
      release: {
        uniqueBlobBytes: release.uniqueBlobBytes,
        uniqueBlobs: release.uniqueBlobs,
        images: release.images.map((i) => `${i.repository}:${i.tag}`),
      },
      networks,
      ...(gibLayer ? { gibLayer } : {}),
    };
    const lines = table(results);
    const widths = lines[0].map((_, c) => Math.max(...lines.map((l) => String(l[c]).length)));
    console.log(lines.map((l) => l.map((cell, c) => String(cell).padEnd(widths[c])).join('  ')).join('\n'));
    console.log(`\n${goals(results)}\n\nelapsed ${results.elapsedSeconds} s`);
    const charted = writeTimelines(results);
    const phases = timelineTable(charted.timeline);
    const w = phases[0].map((_, c) => Math.max(...phases.map((l) => l[c].length)));
    console.log(`\ncold run by phase (${charted.network}, mounts ${charted.mounts}); chart in bench/timeline.svg`);
    console.log(phases.map((l) => l.map((cell, c) => cell.padEnd(w[c])).join('  ')).join('\n'));
    const stored = JSON.stringify(results, (key, value) => (key === 'events' ? undefined : value), 2);
    writeFileSync(join(repoRoot, 'bench', 'results.json'), `${stored}\n`);
    if (args.record) updateReadme(results, lines, charted);
    else console.log('bench/README.md left as it is (--record writes these figures into it)');
  } finally {
    await sourceRegistry.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

await main();
