-- Issue 9, outgoing webhooks. A webhook gets a description, its creator (told when it is
-- disabled; no FK: see 002's note on users and webhooks) and the time and reason it was
-- disabled. failure_count (002) counts the webhook's consecutive given-up deliveries.
ALTER TABLE webhooks
    MODIFY COLUMN name VARCHAR(255) NOT NULL DEFAULT '',
    ADD COLUMN IF NOT EXISTS description VARCHAR(1024) NULL AFTER name,
    ADD COLUMN IF NOT EXISTS created_by VARCHAR(64) NULL AFTER failure_count,
    ADD COLUMN IF NOT EXISTS last_failure_at DATETIME NULL AFTER last_success_at,
    ADD COLUMN IF NOT EXISTS disabled_at DATETIME NULL AFTER last_failure_at,
    ADD COLUMN IF NOT EXISTS disabled_reason VARCHAR(255) NULL AFTER disabled_at;

-- One row per (webhook, event): written by switchboard-hooks in the transaction that moves
-- its cursor past the event, so an event is fanned out once whatever the crashes. The body
-- is the exact JSON sent (the event row may be purged by retention before it goes out).
-- state: pending (to send, or to retry at next_attempt_at), delivered, failed (given up).
-- A webhook's deliveries go out one at a time in event_id order (the head is its pending
-- row with the lowest event_id: idx_webhook_deliveries_queue).
CREATE TABLE IF NOT EXISTS webhook_deliveries (
    id VARCHAR(64) NOT NULL,
    tenant_id VARCHAR(64) NOT NULL,
    webhook_id VARCHAR(64) NOT NULL,
    event_id BIGINT UNSIGNED NOT NULL,
    event_type VARCHAR(64) NOT NULL,
    body MEDIUMTEXT NOT NULL,
    state ENUM('pending','delivered','failed') NOT NULL DEFAULT 'pending',
    attempts INT NOT NULL DEFAULT 0,
    -- The retry window (webhook_give_up_seconds) runs from the first attempt: a delivery
    -- waiting behind its webhook's failing head keeps its whole window.
    first_attempt_at DATETIME(3) NULL,
    next_attempt_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    last_status SMALLINT NULL,
    last_error VARCHAR(1024) NULL,
    created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    finished_at DATETIME(3) NULL,
    PRIMARY KEY (id),
    UNIQUE KEY uq_webhook_deliveries_event (webhook_id, event_id),
    KEY idx_webhook_deliveries_queue (webhook_id, state, event_id),
    KEY idx_webhook_deliveries_due (state, next_attempt_at),
    KEY idx_webhook_deliveries_tenant_state (tenant_id, state, finished_at),
    KEY idx_webhook_deliveries_finished (finished_at),
    CONSTRAINT chk_webhook_deliveries_attempts CHECK (attempts >= 0),
    CONSTRAINT fk_webhook_deliveries_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
    CONSTRAINT fk_webhook_deliveries_webhook FOREIGN KEY (tenant_id, webhook_id) REFERENCES webhooks (tenant_id, id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_as_ci;

-- switchboard-hooks' position in call_events: every id <= last_event_id has been fanned
-- out or declared a gap. Starts at the events that exist now (they are history).
CREATE TABLE IF NOT EXISTS webhook_cursor (
    name VARCHAR(32) NOT NULL,
    last_event_id BIGINT UNSIGNED NOT NULL,
    updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
    PRIMARY KEY (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_as_ci;

INSERT IGNORE INTO webhook_cursor (name, last_event_id)
    SELECT 'hooks', COALESCE(MAX(id), 0) FROM call_events;
