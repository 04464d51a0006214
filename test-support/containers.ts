/**
 * Real container tools for the build tests: podman (daemonless builder, Debian's package), the docker CLI (driven
 * through podman's Docker-compatible API, since no Docker engine runs on these machines) and Debian's
 * docker-registry (behind standin/acr/acr.ts). `.ci/run` installs them; what is missing is reported so the tests that
 * need it skip loudly.
 *
 * The tools get a private configuration in a temporary folder, passed as environment variables (what a runner's
 * own configuration would be): CONTAINERS_STORAGE_CONF (vfs storage in the folder, so nothing touches the
 * machine's images and no overlay mounts are left), CONTAINERS_CONF (runc as the OCI runtime when installed: crun
 * cannot create containers on hosts with hybrid cgroups, like these machines) and SSL_CERT_FILE (the stand-in's CA,
 * so the Go-based tools trust the registry's TLS certificate).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export function which(name: string, extra: string[] = []): string | undefined {
  for (const dir of [...(process.env.PATH ?? '').split(delimiter), ...extra]) {
    if (!dir) continue;
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // not here
    }
  }
  return undefined;
}

export interface ContainerTools {
  podman?: string;
  docker?: string;
  runc?: string;
  /** A static busybox to COPY into images built FROM scratch (no network for base images). */
  busybox?: string;
  dir: string;
  /** Environment for the action's steps (and for podman run here). */
  env: Record<string, string>;
  /** Starts podman's Docker-compatible API on a socket in `dir`; DOCKER_HOST for the docker CLI. */
  startDockerApi(): Promise<{ dockerHost: string; close(): Promise<void> }>;
  close(): void;
}

const SBIN = ['/usr/sbin', '/sbin', '/usr/bin', '/bin'];

export function containerTools(caFile: string): ContainerTools {
  const dir = mkdtempSync(join(tmpdir(), 'build-tools-'));
  const podman = which('podman', SBIN);
  const docker = which('docker');
  const runc = which('runc', SBIN);
  const busybox = ['/bin/busybox', '/usr/bin/busybox'].find((p) => {
    try {
      accessSync(p, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
  mkdirSync(join(dir, 'storage'), { recursive: true });
  writeFileSync(
    join(dir, 'storage.conf'),
    `[storage]\ndriver = "vfs"\ngraphroot = "${join(dir, 'storage', 'root')}"\nrunroot = "${join(dir, 'storage', 'run')}"\n`,
  );
  writeFileSync(
    join(dir, 'containers.conf'),
    runc ? `[engine]\nruntime = "runc"\ncgroup_manager = "cgroupfs"\n` : `[engine]\ncgroup_manager = "cgroupfs"\n`,
  );
  const env = {
    CONTAINERS_STORAGE_CONF: join(dir, 'storage.conf'),
    CONTAINERS_CONF: join(dir, 'containers.conf'),
    SSL_CERT_FILE: caFile,
  };
  const services: ChildProcess[] = [];
  return {
    ...(podman ? { podman } : {}),
    ...(docker ? { docker } : {}),
    ...(runc ? { runc } : {}),
    ...(busybox ? { busybox } : {}),
    dir,
    env,
    async startDockerApi() {
      if (!podman) throw new Error('podman is not installed');
      const socket = join(dir, `docker-api-${services.length}.sock`);
      const child = spawn(podman, ['system', 'service', '--time=0', `unix://${socket}`], {
        env: { ...process.env, ...env },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let log = '';
      child.stderr?.on('data', (c: Buffer) => (log += c.toString('utf8')));
      services.push(child);
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      for (let i = 0; i < 100; i++) {
        try {
          accessSync(socket);
          return {
            dockerHost: `unix://${socket}`,
            async close() {
              if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
              await exited;
            },
          };
        } catch {
          if (child.exitCode !== null) break;
          await sleep(50);
        }
      }
      child.kill('SIGKILL');
      throw new Error(`podman system service did not start: ${log.slice(-1000)}`);
    },
    close() {
      for (const s of services) if (s.exitCode === null && s.signalCode === null) s.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
