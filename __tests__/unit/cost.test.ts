import { describe, expect, it } from 'vitest';
import {
  executionUsage,
  formatUsd,
  memoryGiB,
  renderUsage,
  usageOf,
  FREE_GRANT,
  PRICES,
} from '../../src/report/cost.ts';

describe('memoryGiB', () => {
  it('reads the quantities Azure accepts and returns', () => {
    expect(memoryGiB('1Gi')).toBe(1);
    expect(memoryGiB('0.5Gi')).toBe(0.5);
    expect(memoryGiB('1.0Gi')).toBe(1);
    expect(memoryGiB('512Mi')).toBe(0.5);
    expect(memoryGiB('2G')).toBeCloseTo(1.8626, 4);
  });

  it('refuses what is not a quantity', () => {
    for (const bad of ['', 'Gi', '1 GiB', 'lots', '-1Gi', undefined]) expect(memoryGiB(bad)).toBeUndefined();
    // A megabyte-long value is refused, not parsed slowly.
    expect(memoryGiB('1'.repeat(1_000_000) + 'x')).toBeUndefined();
  });
});

describe('executionUsage', () => {
  it('multiplies the duration by the replicas resources and the parallelism', () => {
    const u = executionUsage({
      durationSec: 100,
      containers: [{ resources: { cpu: 0.5, memory: '1Gi' } }],
      parallelism: 3,
    })!;
    expect(u.vcpuSeconds).toBe(150);
    expect(u.gibSeconds).toBe(300);
    expect(u.estimateUsd).toBeCloseTo(150 * 0.000024 + 300 * 0.000003, 12);
  });

  it('adds up every container of a replica, init containers included', () => {
    const u = executionUsage({
      durationSec: 60,
      containers: [{ resources: { cpu: 1, memory: '2Gi' } }, { resources: { cpu: 0.25, memory: '0.5Gi' } }],
      initContainers: [{ resources: { cpu: 0.25, memory: '512Mi' } }],
    })!;
    expect(u.vcpuPerReplica).toBe(1.5);
    expect(u.gibPerReplica).toBe(3);
    expect(u.parallelism).toBe(1);
    expect(u.vcpuSeconds).toBe(90);
    expect(u.gibSeconds).toBe(180);
  });

  it('gives no estimate when a container has no readable resources or there is no duration', () => {
    expect(executionUsage({ durationSec: 10, containers: [{}] })).toBeUndefined();
    expect(
      executionUsage({ durationSec: 10, containers: [{ resources: { cpu: 0.5, memory: 'much' } }] }),
    ).toBeUndefined();
    expect(
      executionUsage({ durationSec: NaN, containers: [{ resources: { cpu: 1, memory: '1Gi' } }] }),
    ).toBeUndefined();
    expect(executionUsage({ durationSec: 10, containers: [] })).toBeUndefined();
  });
});

describe('renderUsage', () => {
  it('names the figures, the prices, their date and source, and that the free grant is not subtracted', () => {
    const u = executionUsage({ durationSec: 100, containers: [{ resources: { cpu: 0.5, memory: '1Gi' } }] })!;
    const text = renderUsage(u).join('\n');
    expect(text).toContain('50 vCPU-seconds and 100 GiB-seconds');
    expect(text).toContain('100 s × 0.5 vCPU and 1 GiB per replica × parallelism 1');
    expect(text).toContain(formatUsd(50 * 0.000024 + 100 * 0.000003));
    expect(text).toContain(PRICES.date);
    expect(text).toContain(PRICES.source);
    expect(text).toContain('180,000 vCPU-seconds and 360,000 GiB-seconds');
    expect(text).toMatch(/not subtracted/);
    expect(FREE_GRANT).toEqual({ vcpuSeconds: 180_000, gibSeconds: 360_000 });
  });

  it('formats small and large amounts readably', () => {
    expect(formatUsd(0.0015)).toBe('$0.0015');
    expect(formatUsd(0.00123456)).toBe('$0.0012');
    expect(formatUsd(12.345)).toBe('$12.35');
    expect(formatUsd(0)).toBe('$0');
  });
});

describe('usageOf', () => {
  const job = {
    configuration: {
      triggerType: 'Schedule',
      scheduleTriggerConfig: { parallelism: 2 },
      manualTriggerConfig: { parallelism: 9 },
    },
    template: { containers: [{ resources: { cpu: 0.5, memory: '1Gi' } }] },
  };
  it("uses the execution's containers (per-execution overrides) and the job trigger's parallelism", () => {
    const u = usageOf(
      10,
      {
        template: {
          containers: [{ resources: { cpu: 2, memory: '4Gi' } }],
          initContainers: [{ resources: { cpu: 0.25, memory: '0.5Gi' } }],
        },
      },
      job,
    )!;
    expect(u.vcpuSeconds).toBe(10 * 2.25 * 2);
    expect(u.gibSeconds).toBe(10 * 4.5 * 2);
  });
  it("falls back to the job's containers, and gives nothing without a duration", () => {
    expect(usageOf(10, undefined, job)!.vcpuSeconds).toBe(10);
    expect(usageOf(undefined, undefined, job)).toBeUndefined();
  });
});
