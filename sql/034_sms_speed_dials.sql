-- Issue 11: SMS delivery, personal speed dials.
--
-- sms_messages is its own outbox: a message is sent by switchboard-hooks (src/hooks/sms.c)
-- while its status is 'queued' and next_attempt_at is due; attempts counts the provider
-- calls made, and a failed call sets next_attempt_at by the webhooks' backoff. 'sending'
-- marks a message claimed by a delivery run (a run that died leaves it 'sending': it is
-- picked up again once its next_attempt_at, a lease, has passed).
-- read_at: when an inbound message was read (a thread's unread count).
ALTER TABLE sms_messages
    ADD COLUMN attempts INT NOT NULL DEFAULT 0 AFTER segments,
    ADD COLUMN read_at DATETIME NULL AFTER delivered_at,
    ADD COLUMN next_attempt_at DATETIME(3) NULL AFTER attempts,
    ADD KEY idx_sms_messages_due (status, next_attempt_at);

-- A speed dial is tenant-wide (user_id NULL) or a user's own; a code is unique per owner,
-- so a personal code may shadow a tenant-wide one. owner_key makes NULL comparable.
ALTER TABLE speed_dials
    ADD COLUMN user_id VARCHAR(64) NULL AFTER tenant_id,
    ADD COLUMN owner_key VARCHAR(64) AS (COALESCE(user_id, '')) PERSISTENT AFTER user_id,
    DROP INDEX uq_speed_dials_tenant_code,
    ADD UNIQUE KEY uq_speed_dials_owner_code (tenant_id, owner_key, code),
    ADD KEY idx_speed_dials_tenant_user (tenant_id, user_id),
    ADD CONSTRAINT fk_speed_dials_user FOREIGN KEY (tenant_id, user_id)
        REFERENCES users (tenant_id, id) ON DELETE CASCADE;
