-- Issue 8: call detail records as the contact center writes them, and the windowed KPIs
-- kept beside them. A CDR is written once, when its call ends, in the same transaction as
-- the end (include/cdr_store.h); the same transaction adds the call to two 15-minute
-- buckets (per queue, per agent), so a KPI over any window reads a few bucket rows and
-- never scans CDRs: its cost does not grow with the number of calls.

-- The queue outcomes beside the old dispositions (kept: imported and Twilio CDRs use them).
ALTER TABLE cdrs MODIFY disposition ENUM('answered','no_answer','busy','failed','congestion',
    'canceled','abandoned','timeout','overflow','no_agent') NOT NULL;
-- Seconds; talk is billsec, wait is wait_time (002).
ALTER TABLE cdrs ADD COLUMN IF NOT EXISTS hold_time INT NOT NULL DEFAULT 0 CHECK (hold_time >= 0);
ALTER TABLE cdrs ADD COLUMN IF NOT EXISTS wrapup_time INT NOT NULL DEFAULT 0 CHECK (wrapup_time >= 0);
ALTER TABLE cdrs ADD COLUMN IF NOT EXISTS hangup_side ENUM('caller','agent','system') NULL;
ALTER TABLE cdrs ADD COLUMN IF NOT EXISTS tags JSON NULL CHECK (tags IS NULL OR JSON_VALID(tags));
-- Where an imported CDR came from ("asterisk:<uniqueid>", or a digest of its line when the
-- file has no uniqueid): importing the same file twice adds nothing. NULL for our own CDRs.
ALTER TABLE cdrs ADD COLUMN IF NOT EXISTS import_ref VARCHAR(80) NULL;
CREATE UNIQUE INDEX IF NOT EXISTS uq_cdrs_tenant_import ON cdrs (tenant_id, import_ref);

-- "Today" in the KPIs is the tenant's day: an IANA zone name (an unknown one reads as UTC).
ALTER TABLE tenants ADD COLUMN IF NOT EXISTS timezone VARCHAR(64) NOT NULL DEFAULT 'UTC';

-- Issue 8's queues slice (008) owns this column; it is added here too, only if absent, so
-- the CDR writer and importer can read it whichever migration a database got first.
ALTER TABLE queues ADD COLUMN IF NOT EXISTS short_abandon_seconds INT NOT NULL DEFAULT 5;

-- One row per tenant, queue ('' for calls that were in no queue) and 15-minute UTC bucket
-- of the calls' start (when the call was offered). Counts and sums of seconds; averages
-- and rates are computed on read. A call is in exactly one bucket.
CREATE TABLE IF NOT EXISTS kpi_queue_buckets (
    tenant_id VARCHAR(64) NOT NULL,
    queue_id VARCHAR(64) NOT NULL DEFAULT '',
    bucket_start DATETIME NOT NULL,
    offered INT UNSIGNED NOT NULL DEFAULT 0,
    answered INT UNSIGNED NOT NULL DEFAULT 0,
    abandoned INT UNSIGNED NOT NULL DEFAULT 0,
    -- abandoned within the queue's short_abandon_seconds: left out of the rates
    short_abandoned INT UNSIGNED NOT NULL DEFAULT 0,
    -- answered with a wait of at most the queue's service-level threshold
    answered_in_sl INT UNSIGNED NOT NULL DEFAULT 0,
    overflowed INT UNSIGNED NOT NULL DEFAULT 0,
    wait_sum BIGINT UNSIGNED NOT NULL DEFAULT 0,
    wait_max INT UNSIGNED NOT NULL DEFAULT 0,
    answer_wait_sum BIGINT UNSIGNED NOT NULL DEFAULT 0,
    talk_sum BIGINT UNSIGNED NOT NULL DEFAULT 0,
    hold_sum BIGINT UNSIGNED NOT NULL DEFAULT 0,
    wrapup_sum BIGINT UNSIGNED NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, queue_id, bucket_start),
    KEY idx_kpi_queue_buckets_tenant_start (tenant_id, bucket_start),
    CONSTRAINT chk_kpi_queue_buckets_start CHECK (MINUTE(bucket_start) % 15 = 0 AND SECOND(bucket_start) = 0),
    CONSTRAINT fk_kpi_queue_buckets_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_as_ci;

-- The same per agent (a user), for the calls they answered. No FK to users: the figures
-- are history and outlive the account.
CREATE TABLE IF NOT EXISTS kpi_agent_buckets (
    tenant_id VARCHAR(64) NOT NULL,
    user_id VARCHAR(64) NOT NULL,
    bucket_start DATETIME NOT NULL,
    handled INT UNSIGNED NOT NULL DEFAULT 0,
    talk_sum BIGINT UNSIGNED NOT NULL DEFAULT 0,
    hold_sum BIGINT UNSIGNED NOT NULL DEFAULT 0,
    wrapup_sum BIGINT UNSIGNED NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, user_id, bucket_start),
    KEY idx_kpi_agent_buckets_tenant_start (tenant_id, bucket_start),
    CONSTRAINT chk_kpi_agent_buckets_start CHECK (MINUTE(bucket_start) % 15 = 0 AND SECOND(bucket_start) = 0),
    CONSTRAINT fk_kpi_agent_buckets_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_as_ci;
