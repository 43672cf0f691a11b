-- Issue 10: outbound calls (coldcaller's POST /api/calls/start, PUT …/update, POST …/end)
-- are rows of `calls` with direction 'outbound' and these columns:
-- phone_as_sent: the number exactly as the client typed it (echoed back); called_number
--   holds it normalised.
-- lead_id / campaign_id: the contact (a lead) and the campaign dialled for; no FK, a call is
--   history and outlives a deleted lead.
-- agent_ref: coldcaller's `agentId`, an id its clients treat as opaque; user_id: the user
--   who placed the call (from the token).
-- answer_time: when the call first reached `connected`.
-- outcome, disposition, notes, tags, objections, next_actions: what the agent recorded at
--   the end.
-- recording_state: off → recording → stopped (the audio itself is a recordings row).
-- quality: the latest {latency, jitter, packetLoss, mos}; the history is call_quality.
ALTER TABLE calls
    ADD COLUMN IF NOT EXISTS phone_as_sent VARCHAR(64) NULL AFTER called_number,
    ADD COLUMN IF NOT EXISTS lead_id VARCHAR(64) NULL AFTER agent_id,
    ADD COLUMN IF NOT EXISTS campaign_id VARCHAR(64) NULL AFTER lead_id,
    ADD COLUMN IF NOT EXISTS agent_ref VARCHAR(64) NULL AFTER campaign_id,
    ADD COLUMN IF NOT EXISTS user_id VARCHAR(64) NULL AFTER agent_ref,
    ADD COLUMN IF NOT EXISTS answer_time DATETIME(3) NULL AFTER start_time,
    ADD COLUMN IF NOT EXISTS outcome VARCHAR(64) NULL,
    ADD COLUMN IF NOT EXISTS disposition VARCHAR(64) NULL,
    ADD COLUMN IF NOT EXISTS notes TEXT NULL,
    ADD COLUMN IF NOT EXISTS tags JSON NULL CHECK (tags IS NULL OR JSON_VALID(tags)),
    ADD COLUMN IF NOT EXISTS objections JSON NULL CHECK (objections IS NULL OR JSON_VALID(objections)),
    ADD COLUMN IF NOT EXISTS next_actions JSON NULL CHECK (next_actions IS NULL OR JSON_VALID(next_actions)),
    ADD COLUMN IF NOT EXISTS recording_state ENUM('off','recording','stopped') NOT NULL DEFAULT 'off',
    ADD COLUMN IF NOT EXISTS quality JSON NULL CHECK (quality IS NULL OR JSON_VALID(quality));
CREATE INDEX IF NOT EXISTS idx_calls_tenant_lead ON calls (tenant_id, lead_id, start_time);
CREATE INDEX IF NOT EXISTS idx_calls_tenant_campaign ON calls (tenant_id, campaign_id, start_time);
CREATE INDEX IF NOT EXISTS idx_calls_tenant_direction ON calls (tenant_id, direction, start_time);

-- Each quality report of a call, so its quality over time can be plotted. id is ours (not
-- auto-increment); a call's series reads by (call_id, at).
CREATE TABLE IF NOT EXISTS call_quality (
    id VARCHAR(64) NOT NULL,
    tenant_id VARCHAR(64) NOT NULL,
    call_id VARCHAR(64) NOT NULL,
    at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    latency_ms DECIMAL(10,2) NULL,
    jitter_ms DECIMAL(10,2) NULL,
    packet_loss DECIMAL(6,3) NULL,
    mos DECIMAL(3,2) NULL,
    PRIMARY KEY (id),
    KEY idx_call_quality_call (tenant_id, call_id, at),
    CONSTRAINT chk_call_quality_values CHECK ((latency_ms IS NULL OR latency_ms >= 0) AND (jitter_ms IS NULL OR jitter_ms >= 0) AND (packet_loss IS NULL OR packet_loss BETWEEN 0 AND 100) AND (mos IS NULL OR mos BETWEEN 1 AND 5)),
    CONSTRAINT fk_call_quality_call FOREIGN KEY (tenant_id, call_id) REFERENCES calls (tenant_id, id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_as_ci;
