-- Issue 11, the calldocker family's rest: per-user preferences, and the events a company's
-- systems post to its signed incoming webhook (POST /api/webhooks/incoming/:companyId).
-- The incoming webhook's secret is a sealed credential like the Twilio token:
-- tenant_integrations, provider 'incoming_webhook' (sql/004).

-- One row per user, created on the first PUT; a user without one reads the defaults.
-- theme and language are checked against the lists the API serves (src/routes/preferences.c).
CREATE TABLE IF NOT EXISTS user_preferences (
    tenant_id VARCHAR(64) NOT NULL,
    user_id VARCHAR(64) NOT NULL,
    theme VARCHAR(32) NOT NULL DEFAULT 'system',
    language VARCHAR(16) NOT NULL DEFAULT 'en',
    timezone VARCHAR(64) NULL,
    notifications JSON NULL CHECK (notifications IS NULL OR JSON_VALID(notifications)),
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    PRIMARY KEY (tenant_id, user_id),
    CONSTRAINT fk_user_preferences_user FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_as_ci;

-- A verified incoming event: the body as sent (JSON), its `event` (or `type`) member.
CREATE TABLE IF NOT EXISTS incoming_webhook_events (
    id VARCHAR(64) NOT NULL,
    tenant_id VARCHAR(64) NOT NULL,
    event_type VARCHAR(100) NULL,
    payload JSON NOT NULL CHECK (JSON_VALID(payload)),
    remote_addr VARCHAR(64) NULL,
    received_at DATETIME(3) NOT NULL,
    PRIMARY KEY (id),
    KEY idx_incoming_webhook_events_tenant (tenant_id, received_at),
    CONSTRAINT fk_incoming_webhook_events_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_as_ci;
