/**
 * Rollback, pure: the merge patch that puts back exactly what a deploy's patch changed, from the job as it was
 * before the write. Lists (secrets, registries, containers, env) go back whole, as the patch sent them whole; a
 * member the patch added is removed (null); tags and user-assigned identities go back key by key.
 */
import type { Job, JobPatchProperties, Secret } from '@azure/arm-appcontainers';
import { jobToWire, textOf, toJson, type Json, type Obj } from './definition.js';

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The value of `before` under every member `patch` sets: objects member by member, anything else whole. */
function restore(before: Json | undefined, patch: Json): Json {
  if (isObj(patch) && isObj(before) && Object.keys(patch).length) {
    const out: Obj = {};
    for (const [k, v] of Object.entries(patch)) out[k] = restore(before[k], v);
    return out;
  }
  return before === undefined ? null : before;
}

/** The identity as it was: its type, the user-assigned identities it had, and null for each one the write added. */
function restoreIdentity(before: Json | undefined, patch: Json): Json {
  if (!isObj(before)) before = { type: 'None' };
  const added = Object.keys(isObj(patch) && isObj(patch.userAssignedIdentities) ? patch.userAssignedIdentities : {});
  const had = isObj(before.userAssignedIdentities) ? before.userAssignedIdentities : {};
  const users: Obj = { ...had };
  for (const id of added) if (!(id in had)) users[id] = null;
  return { ...before, ...(Object.keys(users).length ? { userAssignedIdentities: users } : {}) };
}

/**
 * The patch that undoes `written` on a job that was `before` (as GET returned it before the write). `secrets` are the
 * values listSecrets gave before the write: needed when `written` changed the secrets list (GET gives names only).
 * Throws when a secret to put back has no value and no Key Vault reference.
 */
export function rollbackPatch(before: Job, written: JobPatchProperties, secrets?: Secret[]): JobPatchProperties {
  const b = jobToWire(before);
  if (secrets) {
    const conf = (((b.properties ??= {}) as Obj).configuration ??= {}) as Obj;
    conf.secrets = secrets.map((s) => toJson(s));
  }
  const w = toJson(written) as Obj;
  const out: Obj = {};
  for (const [k, v] of Object.entries(w)) {
    if (k === 'identity') out.identity = restoreIdentity(b.identity, v);
    else if (k === 'tags') out.tags = restore(b.tags ?? {}, v);
    else out[k] = restore(b[k], v);
  }
  const props = isObj(out.properties) ? out.properties : undefined;
  if (props && isObj(props.configuration)) {
    // A configuration in a PATCH carries its required members.
    const bc = ((b.properties as Obj | undefined)?.configuration ?? {}) as Obj;
    props.configuration = { triggerType: bc.triggerType!, replicaTimeout: bc.replicaTimeout!, ...props.configuration };
    for (const s of (props.configuration.secrets ?? []) as Json[]) {
      if (isObj(s) && s.value === undefined && s.keyVaultUrl === undefined) {
        throw new Error(
          `rollbackPatch: secret '${textOf(s.name)}' has no value: pass the values listSecrets gave before the write.`,
        );
      }
    }
  }
  return out;
}
