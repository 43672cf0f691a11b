-- Issue 3: per-tenant telephony credentials, single-use stream tickets, event retention.

-- The Twilio auth token is stored sealed (AES-256-GCM under a key derived from the
-- server key), never returned by the API, and only decrypted to check a signature.
CREATE TABLE IF NOT EXISTS tenant_integrations (
    tenant_id VARCHAR(64) NOT NULL,
    provider VARCHAR(32) NOT NULL,
    account_sid VARCHAR(64) NULL,
    auth_token_sealed VARBINARY(512) NULL,
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    PRIMARY KEY (tenant_id, provider),
    CONSTRAINT fk_tenant_integrations_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_as_ci;

-- EventSource cannot send headers: a client trades its bearer token for a ticket that
-- the event worker accepts once, within its short life.
CREATE TABLE IF NOT EXISTS stream_tickets (
    id CHAR(64) CHARACTER SET ascii NOT NULL,
    tenant_id VARCHAR(64) NOT NULL,
    user_id VARCHAR(64) NOT NULL,
    session_id VARCHAR(64) NOT NULL,
    expires_at DATETIME NOT NULL,
    used_at DATETIME NULL,
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (id),
    KEY idx_stream_tickets_expires (expires_at),
    CONSTRAINT fk_stream_tickets_session FOREIGN KEY (session_id) REFERENCES auth_sessions (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_as_ci;

-- Retention deletes the oldest events in id order.
CREATE INDEX IF NOT EXISTS idx_call_events_created ON call_events (created_at);
