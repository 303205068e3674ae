import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { afterEach, describe, expect, it } from 'vitest';
import { metrics, type RecordedMetric } from '#commons/observability.ts';

/** What `publishRecorded` writes to stdout, one parsed blob per line. */
function published(recorded: RecordedMetric[]): Record<string, unknown>[] {
  const write = process.stdout.write;
  let text = '';
  process.stdout.write = ((chunk: string) => {
    text += chunk;
    return true;
  }) as typeof process.stdout.write;
  try {
    metrics.publishRecorded(recorded);
  } finally {
    process.stdout.write = write;
  }
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

const count = (name: string, dimensions: Record<string, string>): RecordedMetric => ({
  name,
  unit: MetricUnit.Count,
  value: 1,
  dimensions,
});

describe("an invocation's metrics blob", () => {
  // The suite runs handlers with metrics off (vitest.config.ts); these tests switch them on, and back.
  const saved = process.env.POWERTOOLS_METRICS_DISABLED;
  afterEach(() => {
    process.env.POWERTOOLS_METRICS_DISABLED = saved;
  });

  it('writes metrics of different dimensions in one blob, one directive per dimension set', () => {
    process.env.POWERTOOLS_METRICS_DISABLED = 'false';
    const blobs = published([
      count('ColdStart', { function_name: 'revoke' }),
      count('Revocations', { kind: 'token.revoked', route: 'POST /oauth2/revoke' }),
    ]);
    expect(blobs).toHaveLength(1);
    const [blob] = blobs;
    expect(blob).toMatchObject({
      service: 'token-revocation',
      function_name: 'revoke',
      kind: 'token.revoked',
      route: 'POST /oauth2/revoke',
      ColdStart: 1,
      Revocations: 1,
    });
    expect((blob?._aws as { CloudWatchMetrics: unknown[] } | undefined)?.CloudWatchMetrics).toEqual([
      {
        Namespace: 'TokenRevocation',
        Dimensions: [['service', 'function_name']],
        Metrics: [{ Name: 'ColdStart', Unit: 'Count' }],
      },
      {
        Namespace: 'TokenRevocation',
        Dimensions: [['service', 'kind', 'route']],
        Metrics: [{ Name: 'Revocations', Unit: 'Count' }],
      },
    ]);
  });

  it('keeps values of one metric under one dimension set together, and splits a dimension with two values', () => {
    process.env.POWERTOOLS_METRICS_DISABLED = 'false';
    const same = published([count('EventsPublished', {}), count('EventsPublished', {})]);
    expect(same).toHaveLength(1);
    expect(same[0]?.EventsPublished).toEqual([1, 1]);
    // A blob holds one value per dimension: two kinds of sweep in one batch take two blobs.
    const kinds = published([
      count('SweptTokens', { kind: 'grant.revoked' }),
      count('SweptTokens', { kind: 'client.tokens_revoked' }),
    ]);
    expect(kinds.map((blob) => blob.kind)).toEqual(['grant.revoked', 'client.tokens_revoked']);
  });

  it('writes nothing when nothing was recorded, or when metrics are switched off', () => {
    process.env.POWERTOOLS_METRICS_DISABLED = 'false';
    expect(published([])).toEqual([]);
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';
    expect(published([count('Revocations', { kind: 'token.revoked', route: 'x' })])).toEqual([]);
  });
});
