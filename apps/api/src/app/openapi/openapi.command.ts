import { NestFactory } from '@nestjs/core';
import { writeFile } from 'node:fs/promises';
import { ApiConfig } from '../api.config';
import { ApiModule } from '../api.module';
import { buildOpenApiDocument, serializeOpenApiDocument } from './openapi.document';

/**
 * `main.js openapi <file>`: writes the OpenAPI document (tools/scripts/openapi.mjs runs it for
 * `npm run openapi` and the check in `npm test`). The app is built in preview mode: its routes
 * and DTOs are read, no provider is created, so no database or Redis is needed.
 */
export async function writeOpenApi(config: ApiConfig, file: string | undefined): Promise<void> {
  if (!file) throw new Error('usage: main.js openapi <file>');
  const app = await NestFactory.create(ApiModule.forRoot(config), { preview: true, logger: false, abortOnError: false });
  const text = serializeOpenApiDocument(buildOpenApiDocument(app));
  await app.close();
  await writeFile(file, text);
}
