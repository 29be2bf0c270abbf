import type { OpenAPIObject } from '@nestjs/swagger';

type Schema = { $ref?: string; example?: unknown; examples?: unknown[] };
type Media = { schema?: Schema; example?: unknown };

/**
 * The public document: OpenAPI 3.1, only the /v1 operations (health and metrics are for operators), and each
 * operation's request and response carry the example their zod schema declares (`.meta({ example })`), so
 * generated docs and clients show a real-looking body for every call.
 */
export function publicDocument(doc: OpenAPIObject): OpenAPIObject {
  const schemas = (doc.components?.schemas ?? {}) as Record<string, Schema>;
  const exampleOf = (s: Schema | undefined): unknown => {
    if (!s) return undefined;
    const target = s.$ref ? schemas[s.$ref.replace('#/components/schemas/', '')] : s;
    return target?.example ?? target?.examples?.[0];
  };
  const withExample = (content: Record<string, Media> | undefined) => {
    for (const media of Object.values(content ?? {})) {
      if (media.example === undefined) {
        const example = exampleOf(media.schema);
        if (example !== undefined) media.example = example;
      }
    }
  };
  const paths: OpenAPIObject['paths'] = {};
  for (const [path, item] of Object.entries(doc.paths)) {
    if (!path.startsWith('/v1/')) continue;
    paths[path] = item;
    for (const op of Object.values(item) as Array<{ requestBody?: { content?: Record<string, Media> }; responses?: Record<string, { content?: Record<string, Media> }> }>) {
      if (typeof op !== 'object' || op === null || !('responses' in op)) continue;
      withExample(op.requestBody?.content);
      for (const r of Object.values(op.responses ?? {})) withExample(r.content);
    }
  }
  return { ...doc, openapi: '3.1.0', info: { ...doc.info, version: '1.0.0' }, servers: [{ url: '/', description: 'this gateway' }], paths };
}
