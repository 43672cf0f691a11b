-- Issue 9: contacts, the audit log's reader and surveys answered through a signed link.

-- GET /api/audit-logs filters by user, action and entity type, newest first: each filter
-- reads its own index range in time order instead of every row of the tenant.
CREATE INDEX IF NOT EXISTS idx_audit_logs_tenant_user_time ON audit_logs (tenant_id, user_id, created_at, id);
CREATE INDEX IF NOT EXISTS idx_audit_logs_tenant_action_time ON audit_logs (tenant_id, action, created_at, id);
CREATE INDEX IF NOT EXISTS idx_audit_logs_tenant_type_time ON audit_logs (tenant_id, entity_type, created_at, id);

-- The timeline of a contact reads its calls, tickets and chats newest first.
CREATE INDEX IF NOT EXISTS idx_cdrs_tenant_contact_start ON cdrs (tenant_id, contact_id, start_time);
CREATE INDEX IF NOT EXISTS idx_tickets_tenant_contact_created ON tickets (tenant_id, contact_id, created_at);
CREATE INDEX IF NOT EXISTS idx_chat_sessions_tenant_contact_started ON chat_sessions (tenant_id, contact_id, started_at);

-- A survey sent as a link is answered on the web ('web'); the old channels stay.
ALTER TABLE call_surveys MODIFY channel ENUM('ivr','sms','email','web','chat') NOT NULL DEFAULT 'web';

-- A response row is made when its link is made (status 'partial': sent, not answered) and
-- completed once, by the customer. The link is for one call (cdr_id) or one chat session
-- (chat_session_id): one response per survey and subject (the unique keys; NULLs do not
-- collide). queue_id (no FK: a copy, as history) and user_id are copied from the call or chat at link time, csat and
-- nps from the answers at answer time, so the stats are one indexed range per period.
ALTER TABLE survey_responses
    ADD COLUMN IF NOT EXISTS chat_session_id VARCHAR(64) NULL AFTER call_sid,
    ADD COLUMN IF NOT EXISTS queue_id VARCHAR(64) NULL AFTER chat_session_id,
    ADD COLUMN IF NOT EXISTS csat TINYINT NULL AFTER score,
    ADD COLUMN IF NOT EXISTS nps TINYINT NULL AFTER csat,
    ADD COLUMN IF NOT EXISTS answered_at DATETIME NULL AFTER status,
    ADD CONSTRAINT chk_survey_responses_csat CHECK (csat IS NULL OR csat BETWEEN 1 AND 5),
    ADD CONSTRAINT chk_survey_responses_nps CHECK (nps IS NULL OR nps BETWEEN 0 AND 10);
CREATE UNIQUE INDEX IF NOT EXISTS uq_survey_responses_survey_cdr ON survey_responses (tenant_id, survey_id, cdr_id);
CREATE UNIQUE INDEX IF NOT EXISTS uq_survey_responses_survey_chat ON survey_responses (tenant_id, survey_id, chat_session_id);
CREATE INDEX IF NOT EXISTS idx_survey_responses_tenant_answered ON survey_responses (tenant_id, answered_at, queue_id, user_id, csat, nps);
CREATE INDEX IF NOT EXISTS idx_survey_responses_tenant_queue_answered ON survey_responses (tenant_id, queue_id, answered_at);
CREATE INDEX IF NOT EXISTS idx_survey_responses_tenant_user_answered ON survey_responses (tenant_id, user_id, answered_at);
ALTER TABLE survey_responses
    ADD CONSTRAINT fk_survey_responses_chat FOREIGN KEY (tenant_id, chat_session_id) REFERENCES chat_sessions (tenant_id, id) ON DELETE CASCADE;
