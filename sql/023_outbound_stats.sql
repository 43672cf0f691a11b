-- Issue 10: what an ended outbound call adds up to, so GET /api/calls/analytics reads sums
-- instead of scanning calls. One row per tenant, UTC day and hour of the call's start, agent
-- (coldcaller's agentId, '' for none), campaign ('' for none) and outcome key (the outcome
-- in camelCase, '' for none), written by POST /api/calls/:id/end in the transaction that
-- ends the call.
--   calls: ended calls; connected: those that reached `connected`; recorded: those with a
--   recording; conversions: those whose result made the lead qualified or converted;
--   duration_sum: seconds from start to end; talk_sum: seconds from answer to end;
--   quality_n: calls with quality reports, and the sums of each such call's mean values.
CREATE TABLE IF NOT EXISTS outbound_stats (
    tenant_id VARCHAR(64) NOT NULL,
    day DATE NOT NULL,
    hour TINYINT UNSIGNED NOT NULL,
    agent_ref VARCHAR(64) NOT NULL DEFAULT '',
    campaign_id VARCHAR(64) NOT NULL DEFAULT '',
    outcome VARCHAR(64) NOT NULL DEFAULT '',
    calls INT UNSIGNED NOT NULL DEFAULT 0,
    connected INT UNSIGNED NOT NULL DEFAULT 0,
    recorded INT UNSIGNED NOT NULL DEFAULT 0,
    conversions INT UNSIGNED NOT NULL DEFAULT 0,
    duration_sum BIGINT UNSIGNED NOT NULL DEFAULT 0,
    talk_sum BIGINT UNSIGNED NOT NULL DEFAULT 0,
    quality_n INT UNSIGNED NOT NULL DEFAULT 0,
    latency_sum DOUBLE NOT NULL DEFAULT 0,
    jitter_sum DOUBLE NOT NULL DEFAULT 0,
    packet_loss_sum DOUBLE NOT NULL DEFAULT 0,
    mos_sum DOUBLE NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, day, hour, agent_ref, campaign_id, outcome),
    KEY idx_outbound_stats_agent (tenant_id, agent_ref, day),
    KEY idx_outbound_stats_campaign (tenant_id, campaign_id, day),
    CONSTRAINT chk_outbound_stats_hour CHECK (hour < 24),
    CONSTRAINT fk_outbound_stats_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_as_ci;

-- The outcome as the aggregates key it, and whether the call converted: the statistics
-- routes group and count calls by them.
ALTER TABLE calls
    ADD COLUMN IF NOT EXISTS outcome_key VARCHAR(64) NULL AFTER outcome,
    ADD COLUMN IF NOT EXISTS converted TINYINT(1) NOT NULL DEFAULT 0 AFTER outcome_key;
CREATE INDEX IF NOT EXISTS idx_calls_tenant_agent_ref ON calls (tenant_id, agent_ref, start_time);
-- The clock's abandoned dials: outbound calls still live hours after their start.
CREATE INDEX IF NOT EXISTS idx_calls_direction_status_start ON calls (direction, status, start_time);
