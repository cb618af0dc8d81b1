import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  buildEngineForChildren,
  copyOnce,
  faultRuntime,
  killAndRerun,
  outcomeTable,
  SCENARIOS,
  slug,
  seeded,
  startFaultWorld,
  type FaultWorld,
  type RunReport,
} from '../support/faults-harness.js';

/** The full fault-injection suite: every scenario with several seeds. */
const SEEDS = [1, 2, 3, 4];

describe('fault injection between the engine and both registries', () => {
  let world: FaultWorld;
  let engineDir: string;
  const table: { scenario: string; outcomes: RunReport[] }[] = [];

  beforeAll(async () => {
    engineDir = buildEngineForChildren();
    world = await startFaultWorld();
  }, 120_000);

  afterAll(async () => {
    if (table.length > 0) process.stdout.write(`\n${outcomeTable(table)}\n`);
    await world?.close();
  });

  it.each(SCENARIOS.map((s) => [s.name, s] as const))(
    '%s: every seeded run succeeds with source digests, or fails cleanly with no tag',
    async (name, scenario) => {
      const outcomes: RunReport[] = [];
      for (const seed of SEEDS) {
        const fault = scenario.arm(world, seed);
        const report = await copyOnce(world, `full/${slug(name)}-${seed}`, faultRuntime(seed));
        expect({ seed, fired: fault.fired > 0 }).toEqual({ seed, fired: true });
        outcomes.push(report);
      }
      table.push({ scenario: name, outcomes });
      expect(outcomes.filter((o) => o.outcome === 'BAD')).toEqual([]);
      // Each fault is transient and bounded, so a robust copy recovers from all of them.
      if (scenario.mustRecover)
        expect(outcomes.map((o) => `${o.outcome}${o.outcome !== 'ok' ? `: ${o.detail}` : ''}`)).toEqual(
          SEEDS.map(() => 'ok'),
        );
    },
    180_000,
  );

  it('SIGKILLed mid-copy: no tag points at incomplete content, and the re-run completes', async () => {
    const outcomes: RunReport[] = [];
    for (const seed of SEEDS) {
      const report = await killAndRerun(world, engineDir, `full/sigkill-${seed}`, 200_000 + seeded(seed)(3_000_000));
      expect({ seed, killedMidCopy: report.killedMidCopy }).toEqual({ seed, killedMidCopy: true });
      outcomes.push(report);
    }
    table.push({ scenario: 'SIGKILL mid-copy, then re-run', outcomes });
    expect(outcomes.map((o) => (o.outcome === 'ok' ? 'ok' : `${o.outcome}: ${o.detail}`))).toEqual(
      SEEDS.map(() => 'ok'),
    );
  }, 180_000);
});
