-- Issue 6: throttles and quotas, and idempotent creates.

-- Counters over a time window, one row per bucket: failed password checks per e-mail and
-- per client address (with a lock once a limit is reached), tenants registered per
-- address. The bucket is the SHA-256 hex of "<kind>:<key>", so no e-mail or address is
-- kept here. The event worker deletes rows whose window and lock have long passed.
CREATE TABLE IF NOT EXISTS rate_buckets (
    bucket CHAR(64) CHARACTER SET ascii NOT NULL,
    hits INT UNSIGNED NOT NULL,
    window_start DATETIME NOT NULL,
    locked_until DATETIME NULL,
    PRIMARY KEY (bucket),
    KEY idx_rate_buckets_window (window_start)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_as_ci;

-- Idempotency-Key: the first answer to a create, replayed for the same key of the same
-- tenant within 24 hours. Written in the create's own transaction, so a key has an answer
-- exactly when its record exists.
CREATE TABLE IF NOT EXISTS idempotency_keys (
    tenant_id VARCHAR(64) NOT NULL,
    key_hash CHAR(64) CHARACTER SET ascii NOT NULL,
    request_hash CHAR(64) CHARACTER SET ascii NOT NULL,
    status SMALLINT UNSIGNED NULL,
    response MEDIUMTEXT NULL,
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (tenant_id, key_hash),
    KEY idx_idempotency_keys_created (created_at),
    CONSTRAINT fk_idempotency_keys_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_as_ci;

-- Housekeeping deletes spent stream tickets by expiry.
CREATE INDEX IF NOT EXISTS idx_stream_tickets_used ON stream_tickets (used_at);
