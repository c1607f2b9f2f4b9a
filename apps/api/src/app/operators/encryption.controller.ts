import { ApiResult } from '../openapi/api-result.decorator';
import { Controller, HttpCode, HttpStatus, Post } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { EncryptionRotationResponse } from '@mq/messaging-contracts';
import { MessageQueueService } from '@mq/queue';
import { AuditLogRepository } from '@mq/db';
import { CurrentUser, Roles } from '../auth/auth.decorators';
import { AuthenticatedUser } from '../auth/auth.types';

@Controller('admin/encryption')
@Roles('admin')
export class EncryptionController {
  constructor(
    private readonly producer: MessageQueueService,
    private readonly audit: AuditLogRepository,
  ) {}

  /**
   * Starts a key rotation: every data key re-wrapped under the current master key, then a new
   * data key per conversation with its messages re-encrypted. Progress: GET /messages/jobs/:jobId
   * (a long rotation continues in the job named by `continuedAs` in the result).
   */
  @ApiResult(HttpStatus.ACCEPTED, 'EncryptionRotationResponse')
  @Post('rotate')
  @HttpCode(HttpStatus.ACCEPTED)
  async rotate(@CurrentUser() user: AuthenticatedUser): Promise<EncryptionRotationResponse> {
    const rotationId = randomUUID();
    const jobId = await this.producer.addEncryptionJob({ rotationId, operation: 'rotate' });
    await this.audit.record({ actorId: user.id, action: 'encryption.rotate', target: jobId, detail: { rotationId } });
    return { jobId };
  }
}
