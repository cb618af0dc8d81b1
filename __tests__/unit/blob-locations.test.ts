// BlobLocations: mount candidates and claims under each registry's mount rule, and the rule learnt from refusals.
import { describe, expect, it } from '@jest/globals';
import { BlobLocations } from '../../src/oci/transfer.js';

const R = 'registry.example';
const D = `sha256:${'a'.repeat(64)}`;

describe('BlobLocations', () => {
  it('under the spec rule, a blob merely present in another repository is a mount candidate', () => {
    const locations = new BlobLocations();
    locations.record(R, 'one', D);
    expect(locations.mountCandidate(R, 'two', D)).toBe('one');
    expect(locations.mountCandidate(R, 'one', D)).toBeUndefined();
  });

  it("under ECR's rule only a repository whose manifest references the blob is a candidate", () => {
    const locations = new BlobLocations(() => 'referenced');
    locations.record(R, 'one', D);
    expect(locations.mountCandidate(R, 'two', D)).toBeUndefined();
    locations.recordManifest(R, 'one', [D]);
    expect(locations.mountCandidate(R, 'two', D)).toBe('one');
  });

  it('a refusal from an unreferenced copy teaches the ECR rule; one from a referenced copy stops mounts', () => {
    const locations = new BlobLocations();
    locations.record(R, 'one', D);
    locations.mountRefused(R, 'one', D);
    expect(locations.rule(R)).toBe('referenced');
    locations.recordManifest(R, 'one', [D]);
    expect(locations.mountCandidate(R, 'two', D)).toBe('one');
    locations.mountRefused(R, 'one', D);
    expect(locations.rule(R)).toBe('never');
    expect(locations.mountCandidate(R, 'two', D)).toBeUndefined();
  });

  it('a claim waits for another upload of the blob only under the spec rule, and stops waiting when a refusal teaches otherwise', async () => {
    const locations = new BlobLocations();
    const release = await locations.claim(R, D);
    let second = false;
    const waiting = locations.claim(R, D).then((r) => {
      second = true;
      return r;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(second).toBe(false);
    locations.record(R, 'one', D);
    locations.mountRefused(R, 'one', D);
    (await waiting)();
    expect(second).toBe(true);
    release();

    const ecr = new BlobLocations(() => 'referenced');
    await ecr.claim(R, D);
    let free = false;
    await ecr.claim(R, D).then(() => (free = true));
    expect(free).toBe(true);
  });
});
