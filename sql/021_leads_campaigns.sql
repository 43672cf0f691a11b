-- Issue 10: outbound calling. A lead is a contact of the tenant with the fields a dialer
-- needs; a contact becomes a lead when it gets a lead_no.
-- lead_no: 1, 2, 3… per tenant (coldcaller's clients send it as `leadId`), allocated from
-- lead_counters under the creating transaction's row lock, like ticket numbers: never from
-- auto-increment order, which a Galera cluster interleaves by node.
-- lead_status: new → contacted → callback / qualified / converted / not_interested /
-- bad_number / do_not_call. attempts counts dial attempts; next_callback_at is set by a
-- disposition that asks for a callback (or by hand) and cleared by the next call.
-- time_zone: an IANA name; NULL means the campaign's, then the tenant's.
ALTER TABLE contacts
    ADD COLUMN IF NOT EXISTS lead_no INT UNSIGNED NULL AFTER tenant_id,
    ADD COLUMN IF NOT EXISTS campaign_id VARCHAR(64) NULL AFTER lead_no,
    ADD COLUMN IF NOT EXISTS lead_status ENUM('new','contacted','callback','qualified','converted','not_interested','bad_number','do_not_call') NULL AFTER campaign_id,
    ADD COLUMN IF NOT EXISTS attempts INT UNSIGNED NOT NULL DEFAULT 0 AFTER lead_status,
    ADD COLUMN IF NOT EXISTS last_outcome VARCHAR(64) NULL AFTER attempts,
    ADD COLUMN IF NOT EXISTS last_called_at DATETIME NULL AFTER last_outcome,
    ADD COLUMN IF NOT EXISTS next_callback_at DATETIME NULL AFTER last_called_at,
    ADD COLUMN IF NOT EXISTS time_zone VARCHAR(64) NULL AFTER next_callback_at,
    ADD COLUMN IF NOT EXISTS do_not_call TINYINT(1) NOT NULL DEFAULT 0 AFTER time_zone;
CREATE UNIQUE INDEX IF NOT EXISTS uq_contacts_tenant_lead_no ON contacts (tenant_id, lead_no);
-- A campaign's dialing list: its leads by status, due callbacks first.
CREATE INDEX IF NOT EXISTS idx_contacts_tenant_campaign ON contacts (tenant_id, campaign_id, lead_status, next_callback_at);
CREATE INDEX IF NOT EXISTS idx_contacts_tenant_callback ON contacts (tenant_id, next_callback_at);

CREATE TABLE IF NOT EXISTS lead_counters (
    tenant_id VARCHAR(64) NOT NULL,
    last_number INT UNSIGNED NOT NULL,
    PRIMARY KEY (tenant_id),
    CONSTRAINT fk_lead_counters_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_as_ci;

-- Calling hours are local times in time_zone (NULL: the tenant's), on calling_days; a call
-- is allowed when the lead's local time (its own zone, else this one) is inside them.
-- dispositions: the set an agent picks from when ending a call, a JSON array of
-- {"code", "label", "outcome", "callback_minutes"?, "final"?}; NULL means the default set.
CREATE TABLE IF NOT EXISTS campaigns (
    id VARCHAR(64) NOT NULL,
    tenant_id VARCHAR(64) NOT NULL,
    name VARCHAR(255) NOT NULL,
    description TEXT NULL,
    status ENUM('draft','active','paused','completed') NOT NULL DEFAULT 'active',
    calling_hours_start TIME NOT NULL DEFAULT '09:00:00',
    calling_hours_end TIME NOT NULL DEFAULT '21:00:00',
    calling_days SET('mon','tue','wed','thu','fri','sat','sun') NOT NULL DEFAULT 'mon,tue,wed,thu,fri',
    time_zone VARCHAR(64) NULL,
    max_attempts INT UNSIGNED NOT NULL DEFAULT 3,
    retry_delay_minutes INT UNSIGNED NOT NULL DEFAULT 60,
    dispositions JSON NULL CHECK (dispositions IS NULL OR JSON_VALID(dispositions)),
    created_by VARCHAR(64) NULL,
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    PRIMARY KEY (id),
    UNIQUE KEY uq_campaigns_tenant_id (tenant_id, id),
    UNIQUE KEY uq_campaigns_tenant_name (tenant_id, name),
    CONSTRAINT chk_campaigns_hours CHECK (calling_hours_start < calling_hours_end),
    CONSTRAINT chk_campaigns_attempts CHECK (max_attempts BETWEEN 1 AND 100),
    CONSTRAINT fk_campaigns_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_as_ci;

-- A dial refused by the do-not-call list (the blacklist table, direction outbound or both)
-- or by a lead's do_not_call flag: kept for compliance reports.
CREATE TABLE IF NOT EXISTS dnc_attempts (
    id VARCHAR(64) NOT NULL,
    tenant_id VARCHAR(64) NOT NULL,
    number VARCHAR(32) NOT NULL,
    user_id VARCHAR(64) NULL,
    lead_id VARCHAR(64) NULL,
    campaign_id VARCHAR(64) NULL,
    reason VARCHAR(32) NOT NULL,
    created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    PRIMARY KEY (id),
    KEY idx_dnc_attempts_tenant_created (tenant_id, created_at),
    KEY idx_dnc_attempts_tenant_number (tenant_id, number),
    CONSTRAINT fk_dnc_attempts_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_as_ci;
