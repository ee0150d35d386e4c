import { createRequire } from 'node:module';

// a CommonJS module whose class is its `default` export: required, so every loader reads it alike
const { default: OpenAPIResponseValidator } = createRequire(import.meta.url)('openapi-response-validator') as typeof import('openapi-response-validator');

/**
 * Checks answers against the served /openapi.json with a real OpenAPI response validator
 * (openapi-response-validator, Ajv underneath): the status must be one the operation declares,
 * the Content-Type one of that status's media types, and a JSON body must match its schema.
 */

/** One answer, as the client saw it. */
export interface Answer {
  method: string;
  /** the request path, query string included */
  path: string;
  status: number;
  contentType: string | undefined;
  text: string;
}

interface Operation {
  /** "GET /v1/workspaces/{id}" */
  key: string;
  method: string;
  pattern: RegExp;
  /** literal segments first: /v1/workspaces/{id} must not take /v1/workspaces */
  params: number;
  responses: Record<string, { content?: Record<string, { schema?: { type?: string } }> }>;
  validator: InstanceType<typeof OpenAPIResponseValidator>;
}

type Doc = { paths: Record<string, Record<string, any>>; components?: any };
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head'];
const escape = (s: string) => s.replace(/[.*+?^$()|[\]\\]/g, '\\$&');

export function makeResponseChecker(doc: Doc) {
  const operations: Operation[] = [];
  for (const [template, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      if (!METHODS.includes(method)) continue;
      const source = template.split(/\{[^}]+\}/).map(escape).join('[^/]+');
      operations.push({
        key: `${method.toUpperCase()} ${template}`,
        method: method.toUpperCase(),
        pattern: new RegExp(`^${source}$`),
        params: (template.match(/\{/g) ?? []).length,
        responses: op.responses,
        validator: new OpenAPIResponseValidator({ responses: op.responses, components: doc.components }),
      });
    }
  }
  operations.sort((a, b) => a.params - b.params);

  /** The documented operation a request is for, if any (an undocumented method or path has none). */
  const operationOf = (method: string, path: string): Operation | undefined => {
    const bare = path.split('?', 1)[0]!;
    return operations.find((o) => o.method === method.toUpperCase() && o.pattern.test(bare));
  };

  /** What is wrong with an answer, by the document ([] when it conforms); undefined when no operation documents the request. */
  const violationsOf = (a: Answer): string[] | undefined => {
    const op = operationOf(a.method, a.path);
    if (!op) return undefined;
    const declared = op.responses[String(a.status)];
    if (!declared) return [`${op.key}: status ${a.status} is not declared (declared: ${Object.keys(op.responses).join(', ')})`];
    const media = (a.contentType ?? '').split(';', 1)[0]!.trim().toLowerCase();
    const content = declared.content ?? {};
    if (Object.keys(content).length === 0) return a.text === '' ? [] : [`${op.key} ${a.status}: a body where the document declares none`];
    if (!content[media]) return [`${op.key} ${a.status}: Content-Type ${a.contentType} is not declared (declared: ${Object.keys(content).join(', ')})`];
    if (!media.endsWith('json')) return content[media]!.schema?.type === 'string' ? [] : [`${op.key} ${a.status}: ${media} with a non-string schema`];
    let body: unknown;
    try {
      body = JSON.parse(a.text);
    } catch {
      return [`${op.key} ${a.status}: the body is not JSON: ${a.text.slice(0, 200)}`];
    }
    const invalid = op.validator.validateResponse(a.status, body);
    return invalid ? [`${op.key} ${a.status}: ${invalid.message} ${JSON.stringify(invalid.errors)} in ${a.text.slice(0, 300)}`] : [];
  };

  return {
    operations: operations.map((o) => o.key),
    operationOf: (method: string, path: string) => operationOf(method, path)?.key,
    violationsOf,
    /** every "<operation> <status>" the document declares */
    declared: () => operations.flatMap((o) => Object.keys(o.responses).map((s) => `${o.key} ${s}`)),
  };
}
export type ResponseChecker = ReturnType<typeof makeResponseChecker>;
