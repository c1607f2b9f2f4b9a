import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import helmet from 'helmet';
import { SESSION_COOKIE } from '../auth/auth.types';
import asyncApiDocument from '../../../asyncapi.json';
import contractSchemas from './contract-schemas.json';

export const DOCS_PATH = 'docs';
export const OPENAPI_JSON_PATH = `${DOCS_PATH}/openapi.json`;
export const ASYNCAPI_JSON_PATH = `${DOCS_PATH}/asyncapi.json`;

const ERROR_BODY = { $ref: '#/components/schemas/ApiErrorBody' };

/**
 * The OpenAPI document of the api, built from the controllers and DTOs themselves (the
 * `@nestjs/swagger` build plugin reads the DTO classes and their comments) and the response
 * schemas generated from libs/messaging-contracts (`contract-schemas.json`). `apps/api/openapi.json`
 * is this document checked in; `npx nx run api:openapi-check` (part of `npm test`) fails when
 * the two differ, and `npm run openapi` writes both files anew (tools/scripts/openapi.mjs).
 */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('School message pipeline API')
    .setDescription(
      'REST api of the message pipeline. Authenticate with `POST /auth/login`: send the access token as `Authorization: Bearer <token>`, ' +
        `or let the browser keep the \`${SESSION_COOKIE}\` session cookie. Errors answer \`ApiErrorBody\`: \`{statusCode, message, error, code, field?}\`. ` +
        `The socket.io events are described by the AsyncAPI document at \`/${ASYNCAPI_JSON_PATH}\`.`,
    )
    .setVersion('1')
    // 3.1: the response schemas are JSON Schema as generated from the contract types (`type: ["string", "null"]`).
    .setOpenAPIVersion('3.1.0')
    .addBearerAuth()
    .addCookieAuth(SESSION_COOKIE)
    .addGlobalResponse(
      { status: 400, description: 'Bad input: the body, a parameter or a query is malformed (nothing changed)', schema: ERROR_BODY },
      { status: 401, description: 'No valid session (routes that need one)', schema: ERROR_BODY },
      { status: 403, description: 'The role may not do this', schema: ERROR_BODY },
      { status: 404, description: 'Not found, or not visible to the caller', schema: ERROR_BODY },
      { status: 429, description: 'Rate limited; Retry-After says when to try again', schema: ERROR_BODY },
    )
    .build();
  const document = SwaggerModule.createDocument(app, config, {
    operationIdFactory: (controllerKey, methodKey) => `${controllerKey.replace(/Controller$/, '')}_${methodKey}`,
  });
  document.components = { ...document.components, schemas: { ...document.components?.schemas, ...(contractSchemas as Record<string, object>) } };
  return document;
}

/** Swagger UI at /docs, the document at /docs/openapi.json; the UI's page gets a policy that lets its own scripts and styles run. */
export function mountApiDocs(app: INestApplication, document: OpenAPIObject): void {
  app.use(
    `/${DOCS_PATH}`,
    helmet.contentSecurityPolicy({
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'none'"],
        frameAncestors: ["'none'"],
      },
    }),
  );
  SwaggerModule.setup(DOCS_PATH, app, document, { jsonDocumentUrl: OPENAPI_JSON_PATH, yamlDocumentUrl: `${DOCS_PATH}/openapi.yaml` });
  // The socket events' document, generated from the same contract library (apps/api/asyncapi.json, bundled).
  app.getHttpAdapter().get(`/${ASYNCAPI_JSON_PATH}`, (_request: unknown, response: { json(body: unknown): void }) => response.json(asyncApiDocument));
}

/** The document as checked in: stable key order, two-space indent, a final newline (what Prettier leaves alone). */
export function serializeOpenApiDocument(document: OpenAPIObject): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}
