-- Issue 9, live chat. wait_until is when a waiting session stops waiting (the widget's
-- max_wait_seconds after it started, or at once outside the widget's business hours): the
-- clock finds due sessions over all tenants by (status, wait_until) and turns them into
-- 'missed' with the offline message and a ticket (ticket_id). first_response_at is the
-- first agent message (the stats' first response time). queue_id is the queue a session
-- was transferred to; chat_transfers.to_queue_id records such a transfer. handover_at is
-- when the visitor asked for a human (or the chat went to a queue) while nobody was free:
-- the clock gives such sessions, oldest first, to agents as they become free.
ALTER TABLE chat_sessions
    ADD COLUMN IF NOT EXISTS wait_until DATETIME NULL AFTER started_at,
    ADD COLUMN IF NOT EXISTS handover_at DATETIME NULL AFTER wait_until,
    ADD COLUMN IF NOT EXISTS first_response_at DATETIME NULL AFTER accepted_at,
    ADD COLUMN IF NOT EXISTS queue_id VARCHAR(64) NULL AFTER user_id,
    ADD COLUMN IF NOT EXISTS ticket_id VARCHAR(64) NULL AFTER contact_id;
CREATE INDEX IF NOT EXISTS idx_chat_sessions_status_wait ON chat_sessions (status, wait_until);
CREATE INDEX IF NOT EXISTS idx_chat_sessions_status_handover ON chat_sessions (status, handover_at);
ALTER TABLE chat_sessions
    ADD CONSTRAINT fk_chat_sessions_queue FOREIGN KEY IF NOT EXISTS (tenant_id, queue_id)
        REFERENCES queues (tenant_id, id) ON DELETE RESTRICT;

ALTER TABLE chat_transfers
    ADD COLUMN IF NOT EXISTS to_queue_id VARCHAR(64) NULL AFTER to_user_id;
ALTER TABLE chat_transfers
    ADD CONSTRAINT fk_chat_transfers_to_queue FOREIGN KEY IF NOT EXISTS (tenant_id, to_queue_id)
        REFERENCES queues (tenant_id, id) ON DELETE RESTRICT;

-- A widget's business hours are a schedule of the tenant (schedule.h), as a DID's are.
ALTER TABLE chat_widgets
    ADD COLUMN IF NOT EXISTS schedule_id VARCHAR(64) NULL AFTER offline_message;
ALTER TABLE chat_widgets
    ADD CONSTRAINT fk_chat_widgets_schedule FOREIGN KEY IF NOT EXISTS (tenant_id, schedule_id)
        REFERENCES schedules (tenant_id, id) ON DELETE RESTRICT;
