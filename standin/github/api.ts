/**
 * GitHub's REST API, reduced to repository variables (what the set-up command writes): GET/PATCH
 * `/repos/{owner}/{repo}/actions/variables/{name}` and POST `/repos/{owner}/{repo}/actions/variables`, with
 * GitHub's status codes (201 created, 204 updated, 404 unknown, 401 bad credentials, 409 exists) and error
 * bodies (`{message, documentation_url}`). Repositories must be registered by the test (`addRepository`).
 */
import type { StandIn } from '../index.ts';
import { parseJsonBody, sendJson, type Host } from '../common/http.ts';

const DOCS = 'https://docs.github.com/rest/actions/variables';

export interface GitHubApi {
  readonly host: Host;
  readonly url: string;
  /** Variables per repository ("owner/repo" lower-cased), name upper-cased as GitHub stores them. */
  readonly variables: Map<string, Map<string, string>>;
  addRepository(repo: string): void;
}

export async function startGitHubApi(standIn: StandIn, token: string): Promise<GitHubApi> {
  const variables = new Map<string, Map<string, string>>();
  const host = await standIn.addHost('github-api', (req, res, body, ctx) => {
    if (req.headers.authorization !== `Bearer ${token}` && req.headers.authorization !== `token ${token}`) {
      sendJson(res, 401, {
        message: 'Bad credentials',
        documentation_url: 'https://docs.github.com/rest',
        status: '401',
      });
      return;
    }
    const m = /^\/repos\/([^/]+\/[^/]+)\/actions\/variables(?:\/([^/]+))?$/.exec(ctx.url.pathname);
    const repo = m ? variables.get(m[1]!.toLowerCase()) : undefined;
    if (!m || !repo) {
      sendJson(res, 404, { message: 'Not Found', documentation_url: DOCS, status: '404' });
      return;
    }
    const name = m[2]?.toUpperCase();
    const input = (body.length ? parseJsonBody(body) : {}) as { name?: string; value?: string };
    if (req.method === 'GET' && name) {
      const value = repo.get(name);
      if (value === undefined) sendJson(res, 404, { message: 'Not Found', documentation_url: DOCS, status: '404' });
      else sendJson(res, 200, { name, value, created_at: '2026-12-05T00:00:00Z', updated_at: '2026-12-05T00:00:00Z' });
    } else if (req.method === 'PATCH' && name && repo.has(name) && typeof input.value === 'string') {
      repo.set(name, input.value);
      res.writeHead(204).end();
    } else if (req.method === 'POST' && !name && input.name && typeof input.value === 'string') {
      const key = input.name.toUpperCase();
      if (repo.has(key))
        sendJson(res, 409, {
          message: 'Already exists - Variable already exists',
          documentation_url: DOCS,
          status: '409',
        });
      else {
        repo.set(key, input.value);
        res.writeHead(201, { 'content-type': 'application/json; charset=utf-8' }).end('{}');
      }
    } else sendJson(res, 422, { message: 'Invalid request.', documentation_url: DOCS, status: '422' });
  });
  return {
    host,
    url: standIn.urls['github-api']!,
    variables,
    addRepository: (repo) => void variables.set(repo.toLowerCase(), new Map()),
  };
}
