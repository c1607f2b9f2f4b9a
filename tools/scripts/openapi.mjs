#!/usr/bin/env node
// `npm run openapi`: writes the api's OpenAPI document, apps/api/openapi.json.
// `node tools/scripts/openapi.mjs --check` (npm test, through `nx run api:openapi-check`): exits 1
// when a checked-in file is not what the code describes.
//
// Two steps, each generated, never written by hand:
// 1. The response bodies: JSON Schemas of the types in `ApiResponseBodies`
//    (libs/messaging-contracts/src/lib/api-bodies.contract.ts) -> apps/api/src/app/openapi/contract-schemas.json,
//    which the api bundles and merges into its document.
// 2. The document: routes, parameters, request DTOs (read by the @nestjs/swagger build plugin)
//    and those schemas, as the built api describes itself (`node dist/apps/api/main.js openapi`,
//    no database or Redis needed) -> apps/api/openapi.json. Needs `nx run api:build` first.
// 3. The console's API types, from that document (openapi-typescript) -> apps/admin/src/lib/api-schema.d.ts,
//    which its client (apps/admin/src/lib/api-client.ts) is typed by.
// 4. The socket events (tools/scripts/asyncapi.mjs): apps/api/asyncapi.json and the README's table.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import openapiTS, { astToString } from 'openapi-typescript';
import prettier from 'prettier';
import { createGenerator } from 'ts-json-schema-generator';
import { asyncApiDocument, readmeWithTable, socketEventsTable } from './asyncapi.mjs';

const root = new URL('../..', import.meta.url).pathname;
const CONTRACTS = join(root, 'libs/messaging-contracts/src/lib/api-bodies.contract.ts');
const SCHEMAS_FILE = join(root, 'apps/api/src/app/openapi/contract-schemas.json');
const DOCUMENT_FILE = join(root, 'apps/api/openapi.json');
const CONSOLE_TYPES_FILE = join(root, 'apps/admin/src/lib/api-schema.d.ts');
const ASYNCAPI_FILE = join(root, 'apps/api/asyncapi.json');
const README_FILE = join(root, 'README.md');
const check = process.argv.includes('--check');

function contractSchemas() {
  const schema = createGenerator({
    path: CONTRACTS,
    tsconfig: join(root, 'libs/messaging-contracts/tsconfig.lib.json'),
    type: 'ApiResponseBodies',
    expose: 'export',
    topRef: true,
    jsDoc: 'extended',
    additionalProperties: true,
    skipTypeCheck: true,
  }).createSchema('ApiResponseBodies');
  const definitions = schema.definitions ?? {};
  const bodies = definitions.ApiResponseBodies;
  delete definitions.ApiResponseBodies;
  // Each name of ApiResponseBodies is the name of its type's schema (what @ApiResult refers to).
  for (const [name, property] of Object.entries(bodies.properties)) {
    if (property.$ref !== `#/definitions/${name}`)
      throw new Error(`ApiResponseBodies.${name} must be the type named ${name} (found ${JSON.stringify(property)})`);
  }
  const text = JSON.stringify(definitions, null, 2).replaceAll('"#/definitions/', '"#/components/schemas/');
  return `${text}\n`;
}

function documentFrom(schemasText) {
  // The api bundles contract-schemas.json at build time: build with the file as it is now.
  const dir = mkdtempSync(join(tmpdir(), 'openapi-'));
  const out = join(dir, 'openapi.json');
  const run = spawnSync('node', [join(root, 'dist/apps/api/main.js'), 'openapi', out], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (run.status !== 0) throw new Error('`node dist/apps/api/main.js openapi` failed (build the api first: npx nx run api:build)');
  const text = readFileSync(out, 'utf8');
  const document = JSON.parse(text);
  const schemas = JSON.parse(schemasText);
  for (const name of Object.keys(schemas)) {
    if (JSON.stringify(document.components.schemas[name]) !== JSON.stringify(schemas[name])) {
      throw new Error(`the built api's schema ${name} differs from contract-schemas.json: rebuild the api (npx nx run api:build) and run again`);
    }
  }
  const missing = [...text.matchAll(/"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]).filter((name) => !document.components.schemas[name]);
  if (missing.length > 0) throw new Error(`the document refers to schemas it does not define: ${[...new Set(missing)].join(', ')}`);
  return text;
}

async function consoleTypes(documentText) {
  const ast = await openapiTS(JSON.parse(documentText));
  return `// Generated from apps/api/openapi.json by \`npm run openapi\` (tools/scripts/openapi.mjs). Do not edit.\n\n${astToString(ast)}`;
}

/** The socket events' AsyncAPI document and the README with their table, formatted as Prettier would. */
async function socketEventDocs() {
  const asyncApi = asyncApiDocument(root);
  const readme = readmeWithTable(readFileSync(README_FILE, 'utf8'), socketEventsTable(asyncApi));
  const options = await prettier.resolveConfig(README_FILE);
  return {
    asyncApi: await prettier.format(asyncApi.text, { ...options, filepath: ASYNCAPI_FILE }),
    readme: await prettier.format(readme, { ...options, filepath: README_FILE }),
  };
}

function compare(file, expected) {
  let current = '';
  try {
    current = readFileSync(file, 'utf8');
  } catch {
    // missing: stale
  }
  return current === expected;
}

try {
  const schemas = contractSchemas();
  const events = await socketEventDocs();
  if (check) {
    const stale = [];
    if (!compare(ASYNCAPI_FILE, events.asyncApi)) stale.push('apps/api/asyncapi.json');
    if (!compare(README_FILE, events.readme)) stale.push("README.md's table of socket events");
    if (!compare(SCHEMAS_FILE, schemas)) stale.push('apps/api/src/app/openapi/contract-schemas.json');
    else {
      const document = documentFrom(schemas);
      if (!compare(DOCUMENT_FILE, document)) stale.push('apps/api/openapi.json');
      if (!compare(CONSOLE_TYPES_FILE, await consoleTypes(document))) stale.push('apps/admin/src/lib/api-schema.d.ts');
    }
    if (stale.length > 0) {
      process.stderr.write(
        `openapi: ${stale.join(', ')} stale: the routes, DTOs, contract types or socket events changed. Run \`npm run openapi\` and commit.\n`,
      );
      process.exit(1);
    }
    process.stdout.write("openapi: apps/api/openapi.json, apps/api/asyncapi.json and the README's socket events match the code\n");
  } else {
    writeFileSync(SCHEMAS_FILE, schemas);
    writeFileSync(ASYNCAPI_FILE, events.asyncApi);
    writeFileSync(README_FILE, events.readme);
    const build = spawnSync('npx', ['nx', 'run', 'api:build', '--output-style=stream'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
    if (build.status !== 0) throw new Error('nx run api:build failed');
    const document = documentFrom(schemas);
    writeFileSync(DOCUMENT_FILE, document);
    writeFileSync(CONSOLE_TYPES_FILE, await consoleTypes(document));
    process.stdout.write(
      "openapi: wrote apps/api/src/app/openapi/contract-schemas.json, apps/api/openapi.json, apps/admin/src/lib/api-schema.d.ts, apps/api/asyncapi.json and the README's socket events\n",
    );
  }
} catch (error) {
  process.stderr.write(`openapi: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
