/**
 * Repository variables (AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_SUBSCRIPTION_ID, AZURE_REGISTRY_IDENTITY):
 * set through GitHub's REST API when a token is given, otherwise the `gh variable set` commands are printed.
 */

export interface Variable {
  readonly repo: string;
  readonly name: string;
  readonly value: string;
}

export type VariableResult = 'created' | 'updated' | 'unchanged';

export function ghCommand(v: Variable): string {
  const quoted = `'${v.value.replace(/'/g, `'\\''`)}'`;
  return `gh variable set ${v.name} --repo ${v.repo} --body ${quoted}`;
}

export async function setVariable(api: string, token: string, v: Variable, dryRun: boolean): Promise<VariableResult> {
  const headers = {
    authorization: `Bearer ${token}`,
    accept: 'application/vnd.github+json',
    'x-github-api-version': '2022-11-28',
    'content-type': 'application/json',
    'user-agent': 'deploy-container-apps-job-setup/1',
  };
  const base = `${api}/repos/${v.repo}/actions/variables`;
  const current = await fetch(`${base}/${v.name}`, { headers, redirect: 'error' });
  if (current.status === 200) {
    const body = (await current.json()) as { value?: string };
    if (body.value === v.value) return 'unchanged';
    if (dryRun) return 'updated';
    const res = await fetch(`${base}/${v.name}`, {
      method: 'PATCH',
      headers,
      body: JSON.stringify({ name: v.name, value: v.value }),
    });
    if (!res.ok)
      throw new Error(
        `GitHub refused to update variable ${v.name} in ${v.repo}: HTTP ${res.status} ${(await res.text()).slice(0, 200)}`,
      );
    return 'updated';
  }
  if (current.status !== 404)
    throw new Error(
      `GitHub answered HTTP ${current.status} reading variable ${v.name} of ${v.repo}: the token needs the "Variables" repository permission (read and write), or "repo" scope for a classic token.`,
    );
  if (dryRun) return 'created';
  const res = await fetch(base, { method: 'POST', headers, body: JSON.stringify({ name: v.name, value: v.value }) });
  if (!res.ok)
    throw new Error(
      `GitHub refused to create variable ${v.name} in ${v.repo}: HTTP ${res.status} ${(await res.text()).slice(0, 200)}`,
    );
  return 'created';
}
