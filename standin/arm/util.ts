/** Small helpers shared by the ARM stand-in: ids, names, time formats, JSON cloning. */
import { randomBytes, randomUUID } from 'node:crypto';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type JsonObject = { [k: string]: Json };

export function guid(): string {
  return randomUUID();
}

export function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

const ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** `n` random lowercase alphanumerics (execution and replica name suffixes). */
export function randomSuffix(n: number): string {
  const bytes = randomBytes(n);
  let s = '';
  for (const b of bytes) s += ALNUM[b % ALNUM.length];
  return s;
}

/** "East US" -> "eastus" (ARM's normalized location name). */
export function normalizeLocation(location: string): string {
  return location.replace(/\s+/g, '').toLowerCase();
}

/** ISO 8601 with 7 fractional digits and Z, as ARM's systemData: 2026-02-06T00:22:06.2350000Z */
export function armTimestamp(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 23)}0000Z`;
}

/** Execution times as the service writes them: 2023-08-08T03:42:48+00:00 */
export function executionTimestamp(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}+00:00`;
}

/** .NET en-US general date/time, as in ARM's token-expiry message: 6/15/2026 8:22:51 AM */
export function dotnetUtc(ms: number): string {
  const d = new Date(ms);
  const h24 = d.getUTCHours();
  const h12 = h24 % 12 === 0 ? 12 : h24 % 12;
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${d.getUTCMonth() + 1}/${d.getUTCDate()}/${d.getUTCFullYear()} ${h12}:${pad(d.getUTCMinutes())}:${pad(
    d.getUTCSeconds(),
  )} ${h24 < 12 ? 'AM' : 'PM'}`;
}

/** .NET ticks (100 ns since 0001-01-01), as in ARM's signed async-operation URLs (`t=`). */
export function dotnetTicks(ms: number): string {
  return (BigInt(Math.floor(ms)) * 10000n + 621355968000000000n).toString();
}

/** The object elements of `v` when it is an array (else none). */
export function objects(v: unknown): Record<string, unknown>[] {
  return Array.isArray(v) ? (v as unknown[]).filter(isObj) : [];
}
