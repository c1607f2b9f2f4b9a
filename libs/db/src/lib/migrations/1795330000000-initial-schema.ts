import { MigrationInterface, QueryRunner } from 'typeorm';

/*
 * The whole initial schema. Generated with the schema builder against an empty database
 * (`nx run db:schema-diff`), then ordered by dependency and formatted by hand; the
 * `schema matches the entities` integration test fails if it and the entities ever disagree.
 * gen_random_uuid() is built into Postgres 13+, so no extension is needed. Bigint defaults
 * are written '0' as TypeORM writes them, so the catalog is identical to a synchronised one.
 */
const UP: readonly string[] = [
  `CREATE TABLE "users" (
    "id" uuid NOT NULL DEFAULT gen_random_uuid(),
    "email" text NOT NULL,
    "display_name" text NOT NULL,
    "password_hash" text NOT NULL,
    "role" text NOT NULL DEFAULT 'user',
    "phone" text,
    "active" boolean NOT NULL DEFAULT true,
    "token_version" integer NOT NULL DEFAULT 0,
    "created_at" timestamptz NOT NULL DEFAULT now(),
    "updated_at" timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT "pk_users" PRIMARY KEY ("id"),
    CONSTRAINT "uq_users_email" UNIQUE ("email"),
    CONSTRAINT "chk_users_email_lower_case" CHECK ("email" = lower("email")),
    CONSTRAINT "chk_users_role" CHECK ("role" IN ('user', 'admin', 'operator'))
  )`,

  `CREATE TABLE "conversations" (
    "id" uuid NOT NULL DEFAULT gen_random_uuid(),
    "type" text NOT NULL,
    "title" text,
    "direct_key" text,
    "created_by" uuid NOT NULL,
    "last_seq" bigint NOT NULL DEFAULT '0',
    "created_at" timestamptz NOT NULL DEFAULT now(),
    "updated_at" timestamptz NOT NULL DEFAULT now(),
    "deleted_at" timestamptz,
    CONSTRAINT "pk_conversations" PRIMARY KEY ("id"),
    CONSTRAINT "uq_conversations_direct_key" UNIQUE ("direct_key"),
    CONSTRAINT "chk_conversations_type" CHECK ("type" IN ('direct', 'group', 'broadcast')),
    CONSTRAINT "chk_conversations_direct_key" CHECK (("type" = 'direct') = ("direct_key" IS NOT NULL)),
    CONSTRAINT "fk_conversations_created_by" FOREIGN KEY ("created_by") REFERENCES "users" ("id") ON DELETE NO ACTION ON UPDATE NO ACTION
  )`,

  `CREATE TABLE "conversation_participants" (
    "conversation_id" uuid NOT NULL,
    "user_id" uuid NOT NULL,
    "joined_at" timestamptz NOT NULL DEFAULT now(),
    "left_at" timestamptz,
    "last_read_seq" bigint NOT NULL DEFAULT '0',
    CONSTRAINT "pk_conversation_participants" PRIMARY KEY ("conversation_id", "user_id"),
    CONSTRAINT "fk_conversation_participants_conversation_id" FOREIGN KEY ("conversation_id") REFERENCES "conversations" ("id") ON DELETE CASCADE ON UPDATE NO ACTION,
    CONSTRAINT "fk_conversation_participants_user_id" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE ON UPDATE NO ACTION
  )`,
  `CREATE INDEX "idx_conversation_participants_user_id" ON "conversation_participants" ("user_id")`,

  `CREATE TABLE "messages" (
    "id" uuid NOT NULL DEFAULT gen_random_uuid(),
    "conversation_id" uuid NOT NULL,
    "seq" bigint,
    "sender_id" uuid NOT NULL,
    "client_message_id" text,
    "ciphertext" bytea NOT NULL,
    "iv" bytea NOT NULL,
    "auth_tag" bytea NOT NULL,
    "key_version" integer NOT NULL,
    "priority" text NOT NULL DEFAULT 'normal',
    "status" text NOT NULL,
    "send_at" timestamptz,
    "batch_id" uuid,
    "created_at" timestamptz NOT NULL DEFAULT now(),
    "edited_at" timestamptz,
    "deleted_at" timestamptz,
    CONSTRAINT "pk_messages" PRIMARY KEY ("id"),
    CONSTRAINT "uq_messages_conversation_id_seq" UNIQUE ("conversation_id", "seq"),
    CONSTRAINT "chk_messages_priority" CHECK ("priority" IN ('high', 'normal', 'low')),
    CONSTRAINT "chk_messages_status" CHECK ("status" IN ('scheduled', 'queued', 'sent', 'failed', 'deleted')),
    CONSTRAINT "chk_messages_seq_sent" CHECK ("seq" IS NOT NULL OR "status" IN ('scheduled', 'deleted')),
    CONSTRAINT "fk_messages_conversation_id" FOREIGN KEY ("conversation_id") REFERENCES "conversations" ("id") ON DELETE CASCADE ON UPDATE NO ACTION,
    CONSTRAINT "fk_messages_sender_id" FOREIGN KEY ("sender_id") REFERENCES "users" ("id") ON DELETE NO ACTION ON UPDATE NO ACTION
  )`,
  `CREATE UNIQUE INDEX "uq_messages_sender_id_client_message_id" ON "messages" ("sender_id", "client_message_id") WHERE "client_message_id" IS NOT NULL`,
  `CREATE INDEX "idx_messages_created_at" ON "messages" ("created_at")`,

  `CREATE TABLE "message_deliveries" (
    "message_id" uuid NOT NULL,
    "recipient_id" uuid NOT NULL,
    "status" text NOT NULL DEFAULT 'queued',
    "attempts" integer NOT NULL DEFAULT 0,
    "failure_reason" text,
    "job_id" text,
    "queued_at" timestamptz NOT NULL DEFAULT now(),
    "sent_at" timestamptz,
    "delivered_at" timestamptz,
    "read_at" timestamptz,
    "failed_at" timestamptz,
    "updated_at" timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT "pk_message_deliveries" PRIMARY KEY ("message_id", "recipient_id"),
    CONSTRAINT "chk_message_deliveries_status" CHECK ("status" IN ('queued', 'sent', 'delivered', 'read', 'failed')),
    CONSTRAINT "fk_message_deliveries_message_id" FOREIGN KEY ("message_id") REFERENCES "messages" ("id") ON DELETE CASCADE ON UPDATE NO ACTION,
    CONSTRAINT "fk_message_deliveries_recipient_id" FOREIGN KEY ("recipient_id") REFERENCES "users" ("id") ON DELETE CASCADE ON UPDATE NO ACTION
  )`,
  `CREATE INDEX "idx_message_deliveries_recipient_id_status" ON "message_deliveries" ("recipient_id", "status")`,
  `CREATE INDEX "idx_message_deliveries_failed_at_failed" ON "message_deliveries" ("failed_at") WHERE "status" = 'failed'`,

  `CREATE TABLE "notifications" (
    "id" uuid NOT NULL DEFAULT gen_random_uuid(),
    "user_id" uuid NOT NULL,
    "message_id" uuid,
    "channel" text NOT NULL,
    "status" text NOT NULL DEFAULT 'pending',
    "title" text NOT NULL,
    "body" text NOT NULL,
    "error" text,
    "dedupe_key" text NOT NULL,
    "attempts" integer NOT NULL DEFAULT 0,
    "created_at" timestamptz NOT NULL DEFAULT now(),
    "sent_at" timestamptz,
    "read_at" timestamptz,
    CONSTRAINT "pk_notifications" PRIMARY KEY ("id"),
    CONSTRAINT "uq_notifications_dedupe_key" UNIQUE ("dedupe_key"),
    CONSTRAINT "chk_notifications_channel" CHECK ("channel" IN ('in_app', 'email', 'push', 'sms')),
    CONSTRAINT "chk_notifications_status" CHECK ("status" IN ('pending', 'sent', 'failed', 'skipped')),
    CONSTRAINT "fk_notifications_user_id" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE ON UPDATE NO ACTION,
    CONSTRAINT "fk_notifications_message_id" FOREIGN KEY ("message_id") REFERENCES "messages" ("id") ON DELETE SET NULL ON UPDATE NO ACTION
  )`,
  `CREATE INDEX "idx_notifications_user_id_created_at" ON "notifications" ("user_id", "created_at")`,

  `CREATE TABLE "notification_preferences" (
    "user_id" uuid NOT NULL,
    "channels" jsonb NOT NULL,
    "quiet_hours" jsonb,
    "updated_at" timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT "pk_notification_preferences" PRIMARY KEY ("user_id"),
    CONSTRAINT "fk_notification_preferences_user_id" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE ON UPDATE NO ACTION
  )`,

  `CREATE TABLE "push_subscriptions" (
    "id" uuid NOT NULL DEFAULT gen_random_uuid(),
    "user_id" uuid NOT NULL,
    "endpoint" text NOT NULL,
    "p256dh" text NOT NULL,
    "auth" text NOT NULL,
    "created_at" timestamptz NOT NULL DEFAULT now(),
    "last_success_at" timestamptz,
    CONSTRAINT "pk_push_subscriptions" PRIMARY KEY ("id"),
    CONSTRAINT "uq_push_subscriptions_endpoint" UNIQUE ("endpoint"),
    CONSTRAINT "fk_push_subscriptions_user_id" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE ON UPDATE NO ACTION
  )`,

  `CREATE TABLE "attachments" (
    "id" uuid NOT NULL DEFAULT gen_random_uuid(),
    "message_id" uuid,
    "storage_key" text NOT NULL,
    "content_type" text NOT NULL,
    "size_bytes" bigint NOT NULL,
    "expires_at" timestamptz,
    "created_at" timestamptz NOT NULL DEFAULT now(),
    "deleted_at" timestamptz,
    CONSTRAINT "pk_attachments" PRIMARY KEY ("id"),
    CONSTRAINT "fk_attachments_message_id" FOREIGN KEY ("message_id") REFERENCES "messages" ("id") ON DELETE CASCADE ON UPDATE NO ACTION
  )`,
  `CREATE INDEX "idx_attachments_expires_at" ON "attachments" ("expires_at")`,

  `CREATE TABLE "outbox" (
    "id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
    "queue" text NOT NULL,
    "job_name" text NOT NULL,
    "job_id" text NOT NULL,
    "payload" jsonb NOT NULL,
    "priority" integer NOT NULL,
    "available_at" timestamptz NOT NULL DEFAULT now(),
    "published_at" timestamptz,
    "attempts" integer NOT NULL DEFAULT 0,
    "last_error" text,
    "created_at" timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT "pk_outbox" PRIMARY KEY ("id"),
    CONSTRAINT "uq_outbox_job_id" UNIQUE ("job_id")
  )`,
  `CREATE INDEX "idx_outbox_unpublished" ON "outbox" ("id") WHERE "published_at" IS NULL`,

  `CREATE TABLE "batches" (
    "id" uuid NOT NULL DEFAULT gen_random_uuid(),
    "kind" text NOT NULL,
    "message_id" uuid,
    "conversation_id" uuid,
    "created_by" uuid NOT NULL,
    "all_users" boolean NOT NULL DEFAULT false,
    "recipient_ids" uuid[],
    "total" integer NOT NULL,
    "processed" integer NOT NULL DEFAULT 0,
    "failed" integer NOT NULL DEFAULT 0,
    "status" text NOT NULL DEFAULT 'queued',
    "chunk_size" integer NOT NULL,
    "chunk_delay_ms" integer NOT NULL,
    "cursor" text,
    "job_id" text,
    "created_at" timestamptz NOT NULL DEFAULT now(),
    "started_at" timestamptz,
    "finished_at" timestamptz,
    "updated_at" timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT "pk_batches" PRIMARY KEY ("id"),
    CONSTRAINT "chk_batches_kind" CHECK ("kind" IN ('broadcast', 'group')),
    CONSTRAINT "chk_batches_status" CHECK ("status" IN ('queued', 'running', 'paused', 'completed', 'cancelled', 'failed')),
    CONSTRAINT "fk_batches_message_id" FOREIGN KEY ("message_id") REFERENCES "messages" ("id") ON DELETE SET NULL ON UPDATE NO ACTION,
    CONSTRAINT "fk_batches_conversation_id" FOREIGN KEY ("conversation_id") REFERENCES "conversations" ("id") ON DELETE SET NULL ON UPDATE NO ACTION,
    CONSTRAINT "fk_batches_created_by" FOREIGN KEY ("created_by") REFERENCES "users" ("id") ON DELETE NO ACTION ON UPDATE NO ACTION
  )`,

  `CREATE TABLE "encryption_keys" (
    "id" uuid NOT NULL DEFAULT gen_random_uuid(),
    "conversation_id" uuid NOT NULL,
    "version" integer NOT NULL,
    "wrapped_key" bytea NOT NULL,
    "wrap_iv" bytea NOT NULL,
    "wrap_tag" bytea NOT NULL,
    "master_key_id" text NOT NULL,
    "status" text NOT NULL DEFAULT 'active',
    "created_at" timestamptz NOT NULL DEFAULT now(),
    "retired_at" timestamptz,
    CONSTRAINT "pk_encryption_keys" PRIMARY KEY ("id"),
    CONSTRAINT "uq_encryption_keys_conversation_id_version" UNIQUE ("conversation_id", "version"),
    CONSTRAINT "chk_encryption_keys_status" CHECK ("status" IN ('active', 'retired')),
    CONSTRAINT "fk_encryption_keys_conversation_id" FOREIGN KEY ("conversation_id") REFERENCES "conversations" ("id") ON DELETE CASCADE ON UPDATE NO ACTION
  )`,

  `CREATE TABLE "search_terms" (
    "message_id" uuid NOT NULL,
    "term_hash" bytea NOT NULL,
    "conversation_id" uuid NOT NULL,
    "key_version" integer NOT NULL,
    CONSTRAINT "pk_search_terms" PRIMARY KEY ("message_id", "term_hash"),
    CONSTRAINT "fk_search_terms_message_id" FOREIGN KEY ("message_id") REFERENCES "messages" ("id") ON DELETE CASCADE ON UPDATE NO ACTION
  )`,
  `CREATE INDEX "idx_search_terms_conversation_id_term_hash" ON "search_terms" ("conversation_id", "term_hash")`,

  `CREATE TABLE "dead_letters" (
    "id" uuid NOT NULL DEFAULT gen_random_uuid(),
    "queue" text NOT NULL,
    "job_id" text NOT NULL,
    "job_name" text NOT NULL,
    "data" jsonb NOT NULL,
    "failed_reason" text NOT NULL,
    "stacktrace" text,
    "attempts_made" integer NOT NULL,
    "failed_at" timestamptz NOT NULL,
    "replayed_at" timestamptz,
    "replay_job_id" text,
    "created_at" timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT "pk_dead_letters" PRIMARY KEY ("id"),
    CONSTRAINT "uq_dead_letters_job_id_failed_at" UNIQUE ("job_id", "failed_at")
  )`,
  // Declared `synchronize: false` on the entity: TypeORM cannot express DESC.
  `CREATE INDEX "idx_dead_letters_failed_at_desc" ON "dead_letters" ("failed_at" DESC)`,

  `CREATE TABLE "queue_metric_samples" (
    "id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
    "queue" text NOT NULL,
    "sampled_at" timestamptz NOT NULL DEFAULT now(),
    "waiting" integer NOT NULL,
    "active" integer NOT NULL,
    "delayed" integer NOT NULL,
    "failed" integer NOT NULL,
    "completed_per_minute" integer NOT NULL,
    "failed_per_minute" integer NOT NULL,
    "paused" boolean NOT NULL,
    CONSTRAINT "pk_queue_metric_samples" PRIMARY KEY ("id")
  )`,
  `CREATE INDEX "idx_queue_metric_samples_queue_sampled_at" ON "queue_metric_samples" ("queue", "sampled_at")`,

  `CREATE TABLE "alerts" (
    "id" uuid NOT NULL DEFAULT gen_random_uuid(),
    "rule" text NOT NULL,
    "queue" text,
    "dedupe_key" text NOT NULL,
    "status" text NOT NULL DEFAULT 'open',
    "severity" text NOT NULL,
    "message" text NOT NULL,
    "value" double precision NOT NULL,
    "threshold" double precision NOT NULL,
    "opened_at" timestamptz NOT NULL DEFAULT now(),
    "last_seen_at" timestamptz NOT NULL DEFAULT now(),
    "resolved_at" timestamptz,
    CONSTRAINT "pk_alerts" PRIMARY KEY ("id"),
    CONSTRAINT "chk_alerts_status" CHECK ("status" IN ('open', 'resolved')),
    CONSTRAINT "chk_alerts_severity" CHECK ("severity" IN ('warning', 'critical'))
  )`,
  `CREATE UNIQUE INDEX "uq_alerts_dedupe_key_open" ON "alerts" ("dedupe_key") WHERE "status" = 'open'`,

  `CREATE TABLE "audit_log" (
    "id" uuid NOT NULL DEFAULT gen_random_uuid(),
    "actor_id" uuid,
    "action" text NOT NULL,
    "target" text NOT NULL,
    "count" integer,
    "detail" jsonb,
    "request_id" text,
    "at" timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT "pk_audit_log" PRIMARY KEY ("id"),
    CONSTRAINT "fk_audit_log_actor_id" FOREIGN KEY ("actor_id") REFERENCES "users" ("id") ON DELETE SET NULL ON UPDATE NO ACTION
  )`,
  // Declared `synchronize: false` on the entity: TypeORM cannot express DESC.
  `CREATE INDEX "idx_audit_log_at_desc" ON "audit_log" ("at" DESC)`,
];

/** Dependents before what they reference; dropping a table drops its indexes and constraints. */
const TABLES_IN_DROP_ORDER: readonly string[] = [
  'audit_log',
  'alerts',
  'queue_metric_samples',
  'dead_letters',
  'search_terms',
  'encryption_keys',
  'batches',
  'outbox',
  'attachments',
  'push_subscriptions',
  'notification_preferences',
  'notifications',
  'message_deliveries',
  'messages',
  'conversation_participants',
  'conversations',
  'users',
];

export class InitialSchema1795330000000 implements MigrationInterface {
  // Explicit: bundling may rename the class, and TypeORM records migrations by this name.
  name = 'InitialSchema1795330000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const statement of UP) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of TABLES_IN_DROP_ORDER) await queryRunner.query(`DROP TABLE "${table}"`);
  }
}
