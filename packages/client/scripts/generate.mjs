// Regenerates the client's types from the api-gateway's OpenAPI document:
//   node scripts/generate.mjs [--from <url or file>]   (default: the checked-in openapi.json)
// With --from, the document is saved as openapi.json first. test/generated.test.ts checks both are current.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderSchema } from './render.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const from = process.argv.indexOf('--from') > 0 ? process.argv[process.argv.indexOf('--from') + 1] : undefined;
let doc;
if (from && /^https?:/.test(from)) doc = await (await fetch(from)).json();
else doc = JSON.parse(readFileSync(from ?? `${root}/openapi.json`, 'utf8'));
if (from) writeFileSync(`${root}/openapi.json`, JSON.stringify(doc, null, 2) + '\n');
writeFileSync(`${root}/src/generated/schema.ts`, await renderSchema(doc));
console.log('wrote openapi.json and src/generated/schema.ts');
