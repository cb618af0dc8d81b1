import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { tmpdir } from 'node:os';
import { copyImage } from '../../src/oci/copy.js';
import { BlobLocations } from '../../src/oci/transfer.js';
import { connectRegistry } from '../../src/oci/registry.js';
import { BlobSpool } from '../../src/oci/spool.js';
import { Pacer } from '../../src/retry.js';
import {
  buildEngineForChildren,
  copyOnce,
  FAST_RETRY,
  faultRuntime,
  killAndRerun,
  outcomeTable,
  SCENARIOS,
  slug,
  startFaultWorld,
  type FaultWorld,
  type RunReport,
} from '../support/faults-harness.js';
import { pseudoRandomBytes, pushImage } from '../../testbed/images.js';
import { testRuntime } from '../support/runtime.js';

/** A quick subset of __tests__/faults (one seed each) plus the write-pacing proof. */
const QUICK = [
  'connection reset mid-blob at source',
  'connection reset mid-blob at destination',
  '429 with Retry-After at destination',
  'stalled source response',
  'token expires mid-run (401, re-auth)',
];

/** Most requests seen in any one-second window. */
function busiestSecond(times: number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[j]! < sorted[i]! - 999) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

describe('fault injection, quick subset', () => {
  let world: FaultWorld;
  let engineDir: string;
  const table: { scenario: string; outcomes: RunReport[] }[] = [];

  beforeAll(async () => {
    engineDir = buildEngineForChildren();
    world = await startFaultWorld();
    const layers = Array.from({ length: 30 }, (_, i) => pseudoRandomBytes(2000 + i, 900 + i));
    await pushImage({ url: world.sourceRegistry.url }, 'faults/many-layers', { layers }, '1.0.0');
  }, 60_000);

  afterAll(async () => {
    if (table.length > 0) process.stdout.write(`\n${outcomeTable(table)}\n`);
    await world?.close();
  });

  it.each(QUICK.map((name) => [name, SCENARIOS.find((s) => s.name === name)!] as const))(
    '%s: recovers with the source digest',
    async (name, scenario) => {
      const fault = scenario.arm(world, 1);
      const report = await copyOnce(world, `quick/${slug(name)}`, faultRuntime(1));
      table.push({ scenario: name, outcomes: [report] });
      expect(fault.fired).toBeGreaterThan(0);
      expect(`${report.outcome} ${report.detail}`.trim()).toBe('ok');
    },
    30_000,
  );

  it('SIGKILLed mid-copy leaves no tag at incomplete content; the re-run completes', async () => {
    const report = await killAndRerun(world, engineDir, 'quick/sigkill', 1_500_000);
    table.push({ scenario: 'SIGKILL mid-copy, then re-run', outcomes: [report] });
    expect(report.killedMidCopy).toBe(true);
    expect(`${report.outcome} ${report.outcome === 'ok' ? '' : report.detail}`.trim()).toBe('ok');
  }, 30_000);

  it('paces writes to a destination host at the configured rate, counted at its proxy', async () => {
    const runtime = testRuntime();
    const source = connectRegistry(world.hub.host, { runtime, retry: FAST_RETRY });
    const copyWith = async (repository: string, writePacer: Pacer | undefined): Promise<number[]> => {
      const dest = connectRegistry(world.destProxy.host, {
        runtime,
        retry: FAST_RETRY,
        credentials: world.creds,
        writePacer,
      });
      const spool = await BlobSpool.create(tmpdir());
      const from = world.destProxy.received.length;
      try {
        await copyImage(
          { client: source, repository: 'faults/many-layers' },
          '1.0.0',
          { client: dest, repository, tags: ['1.0.0'] },
          { runtime, spool, locations: new BlobLocations(), concurrency: 8 },
        );
      } finally {
        await spool.cleanup();
      }
      // Upload starts, mounts, upload completions and manifest PUTs are the paced writes.
      return world.destProxy.received
        .slice(from)
        .filter((r) => r.method === 'POST' || r.method === 'PUT')
        .map((r) => r.at);
    };

    const unpaced = await copyWith('quick/unpaced', undefined);
    const paced = await copyWith('quick/paced', new Pacer(10, runtime));

    expect(paced.length).toBeGreaterThanOrEqual(60);
    expect(busiestSecond(unpaced)).toBeGreaterThan(20);
    // 10 per second; one extra allows for the arrival jitter of a request at a window's edge.
    expect(busiestSecond(paced)).toBeLessThanOrEqual(11);
    const spanSeconds = (Math.max(...paced) - Math.min(...paced)) / 1000;
    expect((paced.length - 1) / spanSeconds).toBeLessThanOrEqual(10.2);
  }, 30_000);
});
