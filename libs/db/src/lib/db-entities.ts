import { AccessLedgerEntity, AccessLedgerHeadEntity } from './entities/access-ledger.entity';
import { AlertEntity } from './entities/alert.entity';
import { AttachmentEntity } from './entities/attachment.entity';
import { AuditLogEntity } from './entities/audit-log.entity';
import { BatchEntity } from './entities/batch.entity';
import { ConversationParticipantEntity } from './entities/conversation-participant.entity';
import { ConversationEntity } from './entities/conversation.entity';
import { DeadLetterEntity } from './entities/dead-letter.entity';
import { EncryptionKeyEntity } from './entities/encryption-key.entity';
import { HeldNotificationEntity } from './entities/held-notification.entity';
import { JobEventEntity } from './entities/job-event.entity';
import { MessageDeliveryEntity } from './entities/message-delivery.entity';
import { MessageEntity } from './entities/message.entity';
import { NotificationPreferenceEntity } from './entities/notification-preference.entity';
import { NotificationEntity } from './entities/notification.entity';
import { OutboxEntity } from './entities/outbox.entity';
import { PushSubscriptionEntity } from './entities/push-subscription.entity';
import { QueueMetricSampleEntity } from './entities/queue-metric-sample.entity';
import { SearchTermEntity } from './entities/search-term.entity';
import { UserEntity } from './entities/user.entity';

/** Every entity, listed explicitly: the apps are bundled, so globs would find nothing. */
export const DB_ENTITIES = Object.freeze([
  UserEntity,
  ConversationEntity,
  ConversationParticipantEntity,
  MessageEntity,
  MessageDeliveryEntity,
  NotificationEntity,
  NotificationPreferenceEntity,
  PushSubscriptionEntity,
  AttachmentEntity,
  OutboxEntity,
  BatchEntity,
  EncryptionKeyEntity,
  SearchTermEntity,
  DeadLetterEntity,
  QueueMetricSampleEntity,
  AlertEntity,
  AuditLogEntity,
  JobEventEntity,
  HeldNotificationEntity,
  AccessLedgerEntity,
  AccessLedgerHeadEntity,
] as const);
