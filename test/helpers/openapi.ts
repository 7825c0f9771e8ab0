import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import addFormatsModule from 'ajv-formats';
import { OpenAPIBackend } from 'openapi-backend';
import type { FakeExchange } from '../../src/sandbox/github/server.js';

/**
 * Checks every request tunnelbot sends to the fake GitHub and every response the fake returns against GitHub's own
 * OpenAPI description, so neither side can drift from the real API unnoticed. The 13 MB description is read once
 * per test process (the package index would load ~400 MB of variants, so only the one file is read).
 */

const addFormats = addFormatsModule as unknown as { default: (ajv: unknown) => unknown };

let backend: Promise<OpenAPIBackend> | undefined;

/**
 * GitHub's description uses OpenAPI 3.0 `nullable` on schemas without a `type` (a `$ref` or `allOf` marked
 * nullable), which ajv refuses to compile; the equivalent `anyOf [schema, null]` keeps the meaning.
 */
function normaliseNullable(node: unknown): void {
  if (Array.isArray(node)) {
    for (const item of node) normaliseNullable(item);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const schema = node as Record<string, unknown>;
  for (const value of Object.values(schema)) normaliseNullable(value);
  if (schema['nullable'] === true && schema['type'] === undefined) {
    delete schema['nullable'];
    const rest = { ...schema };
    for (const key of Object.keys(schema)) delete schema[key];
    schema['anyOf'] = [rest, { type: 'null' }];
  }
}

async function loadBackend(): Promise<OpenAPIBackend> {
  const require = createRequire(import.meta.url);
  const specPath = require.resolve('@octokit/openapi/generated/api.github.com.json');
  const definition = JSON.parse(await readFile(specPath, 'utf8'));
  normaliseNullable(definition);
  const api = new OpenAPIBackend({
    definition,
    quick: true,
    strict: false,
    validate: true,
    ajvOpts: { strict: false, logger: false },
    customizeAjv: (ajv) => {
      addFormats.default(ajv);
      return ajv;
    },
  });
  await api.init();
  return api;
}

export function githubSpec(): Promise<OpenAPIBackend> {
  backend ??= loadBackend();
  return backend;
}

export interface ContractViolation {
  exchange: string;
  problem: string;
}

/** Problems with one exchange; empty when both the request and the response match the description. */
export async function checkExchange(exchange: FakeExchange): Promise<ContractViolation[]> {
  const api = await githubSpec();
  const name = `${exchange.method} ${exchange.path} -> ${exchange.status}`;
  const request = {
    method: exchange.method.toLowerCase(),
    path: exchange.path,
    query: exchange.query,
    headers: exchange.headers,
    body: exchange.requestBody,
  };
  const operation = api.matchOperation(request);
  if (!operation) return [{ exchange: name, problem: 'no operation in the GitHub description matches' }];
  const problems: ContractViolation[] = [];
  const requestResult = api.validateRequest(request, operation);
  if (!requestResult.valid) {
    problems.push({ exchange: name, problem: `request: ${JSON.stringify(requestResult.errors)}` });
  }
  const hasJsonBody =
    exchange.responseBody !== undefined &&
    typeof exchange.responseBody !== 'string' &&
    !Buffer.isBuffer(exchange.responseBody);
  if (hasJsonBody || exchange.status === 204) {
    const declared = Object.keys(operation.responses ?? {});
    // Authentication failures, secondary rate limits and outages can answer any operation; GitHub does not list them.
    const transportLevel = exchange.status === 401 || exchange.status === 429 || exchange.status >= 500;
    if (!declared.includes(String(exchange.status)) && !transportLevel) {
      problems.push({
        exchange: name,
        problem: `status ${exchange.status} is not declared (${declared.join(',')})`,
      });
    } else if (hasJsonBody && declared.includes(String(exchange.status))) {
      const responseResult = api.validateResponse(exchange.responseBody, operation, exchange.status);
      if (!responseResult.valid) {
        problems.push({
          exchange: name,
          problem: `response: ${JSON.stringify(responseResult.errors).slice(0, 2000)}`,
        });
      }
    }
  }
  return problems;
}

/** Collects exchanges from a fake and checks them all at the end of a test. */
export class ContractRecorder {
  readonly exchanges: FakeExchange[] = [];
  readonly onExchange = (exchange: FakeExchange): void => {
    this.exchanges.push(exchange);
  };

  async violations(): Promise<ContractViolation[]> {
    const all = await Promise.all(this.exchanges.map((exchange) => checkExchange(exchange)));
    return all.flat();
  }
}
