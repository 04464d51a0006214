/**
 * The set-up the build-and-push end-to-end tests share: what they need on this machine, and a test bed with a real
 * registry (the stand-in's ACR in front of Debian's docker-registry), the container tools and a workspace, started
 * before the tests of a `describe` and removed after them.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { findRegistryBinary, startAcr, type StandInAcr } from '../standin/acr/acr.ts';
import { containerTools, which, type ContainerTools } from './containers.ts';
import { findLeaks, startBed, type Bed, type E2eRun } from './e2e.ts';
import type { RunOptions } from './harness.ts';
import type { StandInOptions } from '../standin/index.ts';

/** Where Debian puts podman's and runc's binaries when they are not on a user's PATH. */
export const SBIN = ['/usr/sbin', '/sbin'];

/** The packages a real build needs that this machine lacks (empty when it can build). */
export const missingBuildTools = [
  !findRegistryBinary() && 'docker-registry',
  !which('podman', SBIN) && 'podman',
  !which('runc', SBIN) && 'runc',
  !existsSync('/bin/busybox') && 'busybox-static',
].filter((m): m is string => typeof m === 'string');

export interface BuildBed {
  readonly bed: Bed;
  readonly acr: StandInAcr;
  readonly tools: ContainerTools;
  readonly workspace: string;
  /**
   * Runs the action in the workspace with the tools' configuration and podman (no Docker engine answers, whatever
   * this machine has), a fresh RUNNER_TEMP kept to look into afterwards; fails on a leaked registry token.
   */
  run(inputs: Record<string, string>, env?: Record<string, string>): Promise<E2eRun & { runnerTemp: string }>;
}

export interface BuildBedOptions {
  registry: { resourceGroup: string; name: string };
  /** The workspace's folders: each one's Dockerfile, and whether busybox is copied beside it (for FROM scratch). */
  folders: Record<string, { dockerfile: string; busybox?: boolean }>;
  /** The start of the temporary folders' names. */
  prefix: string;
  /** Options of the stand-in (default none). */
  standIn?: StandInOptions;
}

/** Call inside the `describe` whose tests build: registers the start (beforeAll) and the clean-up (afterAll). */
export function useBuildBed(options: BuildBedOptions): BuildBed {
  let bed: Bed | undefined;
  let acr: StandInAcr | undefined;
  let tools: ContainerTools | undefined;
  let workspace: string | undefined;
  const temps: string[] = [];
  const ready = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the build bed is used before beforeAll started it');
    return value;
  };
  beforeAll(async () => {
    bed = await startBed(options.standIn);
    acr = await startAcr(bed.standIn, options.registry);
    tools = containerTools(bed.standIn.tls.caFile);
    workspace = mkdtempSync(join(tmpdir(), `${options.prefix}-workspace-`));
    for (const [folder, { dockerfile, busybox }] of Object.entries(options.folders)) {
      mkdirSync(join(workspace, folder));
      if (busybox) copyFileSync(tools.busybox!, join(workspace, folder, 'busybox'));
      writeFileSync(join(workspace, folder, 'Dockerfile'), dockerfile);
    }
  });
  afterAll(async () => {
    await acr?.close();
    await bed?.close();
    tools?.close();
    if (workspace) rmSync(workspace, { recursive: true, force: true });
    for (const t of temps) rmSync(t, { recursive: true, force: true });
  });
  return {
    get bed() {
      return ready(bed);
    },
    get acr() {
      return ready(acr);
    },
    get tools() {
      return ready(tools);
    },
    get workspace() {
      return ready(workspace);
    },
    async run(inputs, env = {}) {
      const runnerTemp = mkdtempSync(join(tmpdir(), `${options.prefix}-runner-temp-`));
      temps.push(runnerTemp);
      const runOptions: Partial<RunOptions> = {
        workspace: ready(workspace),
        env: {
          NODE_EXTRA_CA_CERTS: ready(bed).standIn.tls.caFile,
          ...ready(tools).env,
          DOCKER_HOST: 'unix:///nonexistent/docker.sock',
          RUNNER_TEMP: runnerTemp,
          ...env,
        },
      };
      const r = await ready(bed).run({ environment: ready(bed).world.environment, ...inputs }, runOptions);
      const leaks = findLeaks(r, ready(acr).refreshTokens);
      if (leaks.length) throw new Error(`The action leaked registry tokens: ${leaks.join('; ')}`);
      return { ...r, runnerTemp };
    },
  };
}
