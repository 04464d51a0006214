/**
 * ARM's token-bucket throttling (2024 architecture): per subscription, per principal and per operation
 * kind, plus a global bucket per subscription 15 times larger. Defaults: reads 250 / 25 per second,
 * writes 200 / 10, deletes 200 / 10 (learn.microsoft.com, "Understand how Azure Resource Manager throttles
 * requests").
 */

export type OpKind = 'reads' | 'writes' | 'deletes';

export interface BucketSpec {
  size: number;
  refillPerSec: number;
}

export interface ThrottleSettings {
  /** Answer 429 when a bucket is empty (default true). Remaining-quota headers are sent either way. */
  enabled: boolean;
  reads: BucketSpec;
  writes: BucketSpec;
  deletes: BucketSpec;
  /** Global (all principals) bucket size = factor x the per-principal size (default 15). */
  globalFactor: number;
}

export const DEFAULT_THROTTLE: ThrottleSettings = {
  enabled: true,
  reads: { size: 250, refillPerSec: 25 },
  writes: { size: 200, refillPerSec: 10 },
  deletes: { size: 200, refillPerSec: 10 },
  globalFactor: 15,
};

interface Bucket {
  tokens: number;
  at: number;
}

export class Throttle {
  settings: ThrottleSettings;
  private readonly buckets = new Map<string, Bucket>();
  private readonly clock: () => number;

  constructor(clock: () => number, settings: Partial<ThrottleSettings> = {}) {
    this.clock = clock;
    this.settings = { ...DEFAULT_THROTTLE, ...settings };
  }

  configure(settings: Partial<ThrottleSettings>): void {
    this.settings = { ...this.settings, ...settings };
    this.buckets.clear();
  }

  reset(): void {
    this.buckets.clear();
  }

  private level(key: string, spec: BucketSpec): Bucket {
    const now = this.clock();
    let b = this.buckets.get(key);
    if (!b) {
      b = { tokens: spec.size, at: now };
      this.buckets.set(key, b);
    }
    const elapsed = Math.max(0, now - b.at) / 1000;
    b.tokens = Math.min(spec.size, b.tokens + elapsed * spec.refillPerSec);
    b.at = now;
    return b;
  }

  /**
   * Takes one token for `principal` (and the global bucket). Returns the remaining counts for the headers,
   * or `retryAfterSec` when throttled (no token taken).
   */
  take(
    kind: OpKind,
    principal: string,
  ): { ok: true; remaining: number; globalRemaining: number } | { ok: false; retryAfterSec: number } {
    const spec = this.settings[kind];
    const globalSpec = {
      size: spec.size * this.settings.globalFactor,
      refillPerSec: spec.refillPerSec * this.settings.globalFactor,
    };
    const mine = this.level(`${kind}:${principal.toLowerCase()}`, spec);
    const global = this.level(`${kind}:*`, globalSpec);
    if (this.settings.enabled && (mine.tokens < 1 || global.tokens < 1)) {
      const need = Math.max(
        mine.tokens < 1 ? (1 - mine.tokens) / spec.refillPerSec : 0,
        global.tokens < 1 ? (1 - global.tokens) / globalSpec.refillPerSec : 0,
      );
      return { ok: false, retryAfterSec: Math.max(1, Math.ceil(need)) };
    }
    mine.tokens = Math.max(0, mine.tokens - 1);
    global.tokens = Math.max(0, global.tokens - 1);
    return { ok: true, remaining: Math.floor(mine.tokens), globalRemaining: Math.floor(global.tokens) };
  }
}
