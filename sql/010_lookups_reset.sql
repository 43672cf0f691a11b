-- Password reset (issue 8): single-use tokens, and the outbox their messages wait in.

-- Only the SHA-256 of a token is kept: a copy of this table cannot reset anyone.
-- A token is spent when used_at is set; it is dead an hour after created_at.
CREATE TABLE IF NOT EXISTS password_resets (
    token_hash CHAR(64) CHARACTER SET ascii NOT NULL,
    tenant_id VARCHAR(64) NOT NULL,
    user_id VARCHAR(64) NOT NULL,
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    expires_at DATETIME NOT NULL,
    used_at DATETIME NULL,
    PRIMARY KEY (token_hash),
    KEY idx_password_resets_user (tenant_id, user_id),
    KEY idx_password_resets_expires (expires_at),
    CONSTRAINT fk_password_resets_user FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_as_ci;

-- Messages for people (a reset link today), delivered by an operator or a mailer that
-- reads the pending ones (`switchboard-admin outbox`) and sets sent_at. The body carries
-- the token, so it is sealed at rest (AES-256-GCM under the server key, crypto.h).
CREATE TABLE IF NOT EXISTS outbox (
    id VARCHAR(64) NOT NULL,
    tenant_id VARCHAR(64) NOT NULL,
    kind VARCHAR(32) NOT NULL,
    recipient VARCHAR(255) NOT NULL,
    subject VARCHAR(255) NOT NULL,
    body_sealed VARBINARY(4096) NOT NULL,
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    sent_at DATETIME NULL,
    PRIMARY KEY (id),
    KEY idx_outbox_pending (sent_at, tenant_id, created_at),
    KEY idx_outbox_tenant (tenant_id, created_at),
    CONSTRAINT fk_outbox_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_as_ci;
