/** Fault-injection harness of the faults suite and its quick subset: faulty proxies, outcomes judged by skopeo. */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { copyImage } from '../../src/oci/copy.js';
import { BlobLocations } from '../../src/oci/transfer.js';
import { connectRegistry } from '../../src/oci/registry.js';
import { BlobSpool } from '../../src/oci/spool.js';
import type { RetryPolicy } from '../../src/retry.js';
import type { Runtime } from '../../src/runtime.js';
import { startDockerHubFront, type DockerHubFront } from '../../testbed/docker-hub-front.js';
import { startProxy, type Fault, type Proxy } from '../../testbed/http-proxy.js';
import { pseudoRandomBytes, pushImage, pushIndex, type PushedManifest } from '../../testbed/images.js';
import { startRegistry, type LocalRegistry } from '../../testbed/registry.js';
import { capturingLogger, testRuntime, type CapturingLogger } from './runtime.js';
import { skopeoDigestOrNull } from '../../testbed/skopeo.js';

/**
 * Fault-injection harness: a source behind a Docker-Hub-like front and an ECR-like destination,
 * each behind a proxy whose fault is swapped per run; outcomes are judged with skopeo.
 */

/** Jest runs from the repository root. */
export const REPO_ROOT = process.cwd();
export const STALL_TIMEOUT_MS = 1000;
export const FAST_RETRY: RetryPolicy = { maxAttempts: 5, baseDelayMs: 50, maxDelayMs: 500 };

export type Outcome = 'ok' | 'clean failure' | 'BAD';

/** Decides, per request, whether this request gets a fault; counts the faults it handed out. */
export interface Injector {
  decide(method: string, path: string): Fault | undefined;
  fired: number;
}

const blobDigest = (path: string): string | undefined => /\/blobs\/(sha256:[a-f0-9]{64})/.exec(path)?.[1];

/**
 * Faults the `times` matching requests after skipping `skip` of them. `fault` may depend on the
 * blob the request is for (its size), and `match` sees that size too (undefined for non-blobs).
 */
export function injector(
  match: (method: string, path: string, blobSize: number | undefined) => boolean,
  /** `null` counts as fired without altering the exchange (for side effects like token expiry). */
  fault: (n: number) => Fault | null | undefined,
  options: { skip?: number; times?: number; sizes: Map<string, number> },
): Injector {
  let seen = 0;
  const state: Injector = {
    fired: 0,
    decide(method, path) {
      const digest = blobDigest(path);
      if (!match(method, path, digest === undefined ? undefined : options.sizes.get(digest))) return undefined;
      seen++;
      if (seen <= (options.skip ?? 0) || state.fired >= (options.times ?? 1)) return undefined;
      const chosen = fault(state.fired);
      if (chosen !== undefined) state.fired++;
      return chosen ?? undefined;
    },
  };
  return state;
}

/** Small deterministic numbers from a seed. */
export function seeded(seed: number): (below: number) => number {
  let x = (seed * 2654435761) >>> 0 || 7;
  return (below) => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x % below;
  };
}

export interface FaultWorld {
  sourceRegistry: LocalRegistry;
  destRegistry: LocalRegistry;
  hub: DockerHubFront;
  destProxy: Proxy;
  /** A destination door at 4 MB/s, so a child can be killed mid-copy. */
  slowDestProxy: Proxy;
  image: PushedManifest;
  sizes: Map<string, number>;
  source: { fault?: Injector | undefined };
  destination: { fault?: Injector | undefined };
  creds: { username: string; password: string };
  close(): Promise<void>;
}

export async function startFaultWorld(): Promise<FaultWorld> {
  const sourceRegistry = await startRegistry();
  const destRegistry = await startRegistry({ auth: true });
  const source: FaultWorld['source'] = {};
  const destination: FaultWorld['destination'] = {};
  const hub = await startDockerHubFront({
    registryUrl: sourceRegistry.url,
    fault: (m, p) => source.fault?.decide(m, p),
  });
  const destProxy = await startProxy({ target: destRegistry.url, fault: (m, p) => destination.fault?.decide(m, p) });
  const slowDestProxy = await startProxy({ target: destRegistry.url, bytesPerSecond: 4_000_000 });
  const target = { url: sourceRegistry.url };
  const sizes = new Map<string, number>();
  const platforms = ['amd64', 'arm64'] as const;
  const children = [];
  for (const [p, architecture] of platforms.entries()) {
    const layers = [2_500_000 + p, 900_000 + p, 300_000 + p, 40_000 + p, 3_000 + p].map((size, i) =>
      pseudoRandomBytes(size, 100 * (p + 1) + i),
    );
    const manifest = await pushImage(target, 'faults/app', { layers, architecture });
    for (const b of [manifest.config, ...manifest.layers]) sizes.set(b.digest, b.size);
    children.push({ manifest, platform: { os: 'linux', architecture } });
  }
  const image = await pushIndex(target, 'faults/app', children, { tag: '1.0.0' });
  const creds = { username: destRegistry.username!, password: destRegistry.password! };
  return {
    sourceRegistry,
    destRegistry,
    hub,
    destProxy,
    slowDestProxy,
    image,
    sizes,
    source,
    destination,
    creds,
    async close() {
      await hub.close();
      await destProxy.close();
      await slowDestProxy.close();
      await sourceRegistry.stop();
      await destRegistry.stop();
    },
  };
}

/**
 * Judges a destination tag with skopeo: the tag must be absent or hold the source digest with
 * every blob present and matching (a full `skopeo copy --all` out of the registry).
 */
export async function judgeTag(
  world: FaultWorld,
  repository: string,
  tag: string,
): Promise<'absent' | 'complete' | 'wrong'> {
  const reference = `${world.destRegistry.host}/${repository}:${tag}`;
  const digest = await skopeoDigestOrNull(reference, world.creds);
  if (digest === null) return 'absent';
  if (digest !== world.image.digest) return 'wrong';
  const out = mkdtempSync(join(tmpdir(), 'ecr-publish-judge-'));
  try {
    const copy = spawnSync(
      'skopeo',
      [
        'copy',
        '--all',
        '--src-tls-verify=false',
        '--src-creds',
        `${world.creds.username}:${world.creds.password}`,
        `docker://${reference}`,
        `oci:${out}:judge`,
      ],
      { encoding: 'utf8' },
    );
    return copy.status === 0 ? 'complete' : 'wrong';
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

export interface RunReport {
  outcome: Outcome;
  detail: string;
}

/** One in-process copy from the faulty source to a fresh destination repository, then judged. */
export async function copyOnce(world: FaultWorld, repository: string, runtime: Runtime): Promise<RunReport> {
  const source = connectRegistry(world.hub.host, { runtime, retry: FAST_RETRY, stallTimeoutMs: STALL_TIMEOUT_MS });
  const dest = connectRegistry(world.destProxy.host, {
    runtime,
    retry: FAST_RETRY,
    stallTimeoutMs: STALL_TIMEOUT_MS,
    credentials: world.creds,
  });
  const spool = await BlobSpool.create(tmpdir());
  let error: unknown;
  try {
    await copyImage(
      { client: source, repository: 'faults/app' },
      '1.0.0',
      { client: dest, repository, tags: ['1.0.0'] },
      { runtime, spool, locations: new BlobLocations(), concurrency: 4 },
    );
  } catch (caught) {
    error = caught;
  } finally {
    await spool.cleanup();
  }
  world.source.fault = undefined;
  world.destination.fault = undefined;
  const tag = await judgeTag(world, repository, '1.0.0');
  if (error === undefined)
    return tag === 'complete'
      ? { outcome: 'ok', detail: '' }
      : { outcome: 'BAD', detail: `copy reported success but the tag is ${tag}` };
  const message = error instanceof Error ? error.message : String(error);
  const oneLine = !message.includes('\n') && message.length > 0;
  return tag === 'absent' && oneLine
    ? { outcome: 'clean failure', detail: message }
    : { outcome: 'BAD', detail: `failed (${message}) and the tag is ${tag}` };
}

export function faultRuntime(seed: number): Runtime & { logger: CapturingLogger } {
  const next = seeded(seed + 1);
  const logger = capturingLogger();
  return { ...testRuntime(logger, () => next(10_000) / 10_000), logger };
}

/** Builds the engine to plain JS for child processes (bench/build.mjs). */
export function buildEngineForChildren(): string {
  const build = spawnSync(process.execPath, [join(REPO_ROOT, 'bench', 'build.mjs')], { encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`bench/build.mjs failed: ${build.stderr}`);
  return join(REPO_ROOT, '.tmp', 'bench-build');
}

/**
 * Runs the copy in a child process (bench/copy-child.mjs) through the slow destination door,
 * SIGKILLs it once `killAfterBytes` of blob data reached the destination, then judges the tag and
 * re-runs the copy to completion.
 */
export async function killAndRerun(
  world: FaultWorld,
  engineDir: string,
  repository: string,
  killAfterBytes: number,
): Promise<RunReport & { killedMidCopy: boolean }> {
  const dir = mkdtempSync(join(tmpdir(), 'ecr-publish-kill-'));
  const jobPath = join(dir, 'job.json');
  writeFileSync(
    jobPath,
    JSON.stringify({
      engineDir,
      source: { host: world.hub.host },
      destination: { host: world.slowDestProxy.host, username: world.creds.username, password: world.creds.password },
      images: [{ repository: 'faults/app', reference: '1.0.0', destRepository: repository, tags: ['1.0.0'] }],
      concurrency: 4,
      retry: FAST_RETRY,
      stallTimeoutMs: 5000,
      spoolParent: dir,
    }),
  );
  const runChild = (killAt?: number) =>
    new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => {
      const start = world.slowDestProxy.uploadedBytes();
      const child = spawn(process.execPath, [join(REPO_ROOT, 'bench', 'copy-child.mjs'), jobPath], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const watch =
        killAt === undefined
          ? undefined
          : setInterval(() => {
              if (world.slowDestProxy.uploadedBytes() - start >= killAt) child.kill('SIGKILL');
            }, 5);
      child.on('close', (code, signal) => {
        if (watch !== undefined) clearInterval(watch);
        resolve({ code, signal, stderr });
      });
    });
  try {
    const killed = await runChild(killAfterBytes);
    const killedMidCopy = killed.signal === 'SIGKILL';
    const afterKill = await judgeTag(world, repository, '1.0.0');
    if (afterKill === 'wrong')
      return { outcome: 'BAD', detail: 'after SIGKILL the tag points at incomplete or wrong content', killedMidCopy };
    const rerun = await runChild();
    if (rerun.code !== 0)
      return { outcome: 'BAD', detail: `re-run after SIGKILL failed: ${rerun.stderr.trim()}`, killedMidCopy };
    const final = await judgeTag(world, repository, '1.0.0');
    return final === 'complete'
      ? { outcome: 'ok', detail: `tag after kill: ${afterKill}`, killedMidCopy }
      : { outcome: 'BAD', detail: `re-run left the tag ${final}`, killedMidCopy };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface Scenario {
  name: string;
  /**
   * Whether the copy must recover. False only where the engine is known to give up cleanly
   * instead (see the comment on that scenario); a clean failure is then still required.
   */
  mustRecover: boolean;
  /** Sets the world's faults for one seeded run; returns what must have fired for the run to count. */
  arm(world: FaultWorld, seed: number): Injector;
}

const isBlobGet = (method: string, path: string) => method === 'GET' && /\/blobs\/sha256:/.test(path);
const isUploadPatch = (method: string, path: string) => method === 'PATCH' && path.includes('/blobs/uploads/');
/** Large enough that a fault lands mid-body. */
const bigBlob = (size: number | undefined) => (size ?? 0) >= 300_000;

export const SCENARIOS: Scenario[] = [
  {
    name: 'connection reset mid-blob at source',
    mustRecover: true,
    arm: (world, seed) => {
      const pick = seeded(seed);
      return (world.source.fault = injector(
        (m, p, size) => isBlobGet(m, p) && bigBlob(size),
        () => ({ kind: 'reset', afterBytes: 1000 + pick(250_000) }),
        { skip: pick(3), sizes: world.sizes },
      ));
    },
  },
  {
    name: 'connection reset mid-blob at destination',
    mustRecover: true,
    arm: (world, seed) => {
      const pick = seeded(seed);
      return (world.destination.fault = injector(
        (m, p) => isUploadPatch(m, p),
        () => ({ kind: 'request-reset', afterBytes: 1000 + pick(250_000) }),
        {
          skip: pick(3),
          sizes: world.sizes,
        },
      ));
    },
  },
  {
    name: 'burst of 500/502/503 at destination',
    mustRecover: true,
    arm: (world, seed) => {
      const pick = seeded(seed);
      const statuses = [500, 502, 503];
      return (world.destination.fault = injector(
        () => true,
        (n) => ({ kind: 'status', status: statuses[(n + seed) % 3]! }),
        { skip: pick(20), times: 3, sizes: world.sizes },
      ));
    },
  },
  {
    name: 'burst of 500/502/503 at source',
    mustRecover: true,
    arm: (world, seed) => {
      const pick = seeded(seed);
      const statuses = [503, 502, 500];
      return (world.source.fault = injector(
        () => true,
        (n) => ({ kind: 'status', status: statuses[(n + seed) % 3]! }),
        { skip: pick(8), times: 3, sizes: world.sizes },
      ));
    },
  },
  {
    name: '429 with Retry-After at destination',
    mustRecover: true,
    arm: (world, seed) => {
      const pick = seeded(seed);
      return (world.destination.fault = injector(
        (m) => m === 'POST' || m === 'PUT',
        () => ({ kind: 'status', status: 429, headers: { 'retry-after': '1' } }),
        {
          skip: pick(10),
          times: 2,
          sizes: world.sizes,
        },
      ));
    },
  },
  {
    name: 'stalled source response',
    mustRecover: true,
    arm: (world, seed) => {
      const pick = seeded(seed);
      return (world.source.fault = injector(
        (m, p, size) => isBlobGet(m, p) && bigBlob(size),
        () => ({ kind: 'stall', afterBytes: 1000 + pick(250_000) }),
        { skip: pick(3), sizes: world.sizes },
      ));
    },
  },
  {
    name: 'truncated source body',
    mustRecover: true,
    arm: (world, seed) => {
      const pick = seeded(seed);
      return (world.source.fault = injector(
        (m, p, size) => isBlobGet(m, p) && bigBlob(size),
        () => ({ kind: 'truncate', afterBytes: 1000 + pick(250_000) }),
        { skip: pick(3), sizes: world.sizes },
      ));
    },
  },
  {
    name: 'flipped byte in a source blob',
    mustRecover: true,
    arm: (world, seed) => {
      const pick = seeded(seed);
      return (world.source.fault = injector(
        (m, p, size) => isBlobGet(m, p) && bigBlob(size),
        () => ({ kind: 'flip', atByte: pick(250_000) }),
        { skip: pick(3), sizes: world.sizes },
      ));
    },
  },
  {
    name: 'flipped byte in an upload',
    // The registry answers the closing PUT with 400 DIGEST_INVALID; the content was verified, so the engine sends it again.
    mustRecover: true,
    arm: (world, seed) => {
      const pick = seeded(seed);
      return (world.destination.fault = injector(
        (m, p) => isUploadPatch(m, p),
        () => ({ kind: 'request-flip', atByte: pick(250_000) }),
        { skip: pick(3), sizes: world.sizes },
      ));
    },
  },
  {
    name: 'token expires mid-run (401, re-auth)',
    mustRecover: true,
    arm: (world, seed) => {
      const pick = seeded(seed);
      // Expire every token when a blob download starts; later front requests answer 401.
      return (world.source.fault = injector(
        (m, p) => isBlobGet(m, p),
        () => {
          world.hub.expireTokens();
          return null;
        },
        { skip: 1 + pick(4), sizes: world.sizes },
      ));
    },
  },
];

/** Prints the scenario / runs / outcomes table. */
export function outcomeTable(rows: { scenario: string; outcomes: RunReport[] }[]): string {
  const lines = rows.map(({ scenario, outcomes }) => {
    const counts = new Map<Outcome, number>();
    for (const o of outcomes) counts.set(o.outcome, (counts.get(o.outcome) ?? 0) + 1);
    const summary = [...counts.entries()].map(([outcome, n]) => `${n} ${outcome}`).join(', ');
    return [scenario, String(outcomes.length), summary];
  });
  const all = [['scenario', 'runs', 'outcomes'], ...lines];
  const widths = [0, 1, 2].map((c) => Math.max(...all.map((l) => l[c]!.length)));
  return all.map((l) => l.map((cell, c) => cell.padEnd(widths[c]!)).join('  ')).join('\n');
}

/** A scenario name as a valid repository path component. */
export function slug(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}
