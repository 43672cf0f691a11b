-- Issue 10: a tenant's SIP trunk (coldcaller's /api/sip/*). One configuration per tenant
-- (uq_sip_trunks_tenant); the id still names it, so health and events can speak of trunks.
-- password_sealed: AES-256-GCM under the server key (crypto_seal, purpose "sip-password"),
--   like the Twilio token; never answered, only whether it is set.
-- registration_state: unregistered → registered | failed. expires_at: when the
--   registrar's binding lapses; refresh_at: when the clock sends REGISTER again (half the
--   granted time, so a slow tick or one lost answer still refreshes in time); NULL when
--   nothing is to be refreshed. last_*: the latest OPTIONS or REGISTER outcome.
CREATE TABLE IF NOT EXISTS sip_trunks (
    id VARCHAR(64) NOT NULL,
    tenant_id VARCHAR(64) NOT NULL,
    provider VARCHAR(50) NOT NULL,
    server VARCHAR(255) NOT NULL,
    port INT NOT NULL DEFAULT 5060,
    transport ENUM('UDP','TCP','TLS') NOT NULL DEFAULT 'UDP',
    username VARCHAR(128) NULL,
    password_sealed VARBINARY(320) NULL,
    domain VARCHAR(255) NULL,
    enable_recording TINYINT(1) NOT NULL DEFAULT 0,
    register_expires INT NOT NULL DEFAULT 3600,
    registration_state ENUM('unregistered','registered','failed') NOT NULL DEFAULT 'unregistered',
    registered_at DATETIME(3) NULL,
    expires_at DATETIME(3) NULL,
    refresh_at DATETIME(3) NULL,
    last_status INT NULL,
    last_error VARCHAR(255) NULL,
    last_checked_at DATETIME(3) NULL,
    last_rtt_ms INT NULL,
    created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
    PRIMARY KEY (id),
    UNIQUE KEY uq_sip_trunks_tenant (tenant_id),
    KEY idx_sip_trunks_refresh (refresh_at),
    CONSTRAINT chk_sip_trunks_port CHECK (port BETWEEN 1 AND 65535),
    CONSTRAINT chk_sip_trunks_expires CHECK (register_expires BETWEEN 1 AND 86400),
    CONSTRAINT fk_sip_trunks_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_as_ci;
