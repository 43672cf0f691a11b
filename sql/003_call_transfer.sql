-- Call-transfer service: live calls, their transfers between departments, and the event
-- stream behind the live dashboard. Times here are DATETIME(3), UTC: transfer timings and
-- event order need better than one-second resolution.
--
-- department_id / agent_id references are RESTRICT, not SET NULL: MariaDB rejects SET NULL
-- on a composite FK whose tenant_id is NOT NULL. Departments are soft-deleted, so this only
-- matters for a hard delete of an agent, before which the application clears calls.agent_id
-- and call_transfers.agent_id itself. Deleting a tenant still works: fk_call_*_tenant and
-- fk_calls_tenant sort before fk_departments_tenant, so these rows go first (see 002).

-- call_sid (Twilio CallSid) is unique across all tenants, as Twilio SIDs are.
-- department_id / agent_id are where the call is now.
-- status: ringing, active, on_hold, transferring, connected, completed, missed, abandoned,
-- failed, busy, no_answer, canceled.
CREATE TABLE IF NOT EXISTS calls (
    id VARCHAR(64) NOT NULL,
    tenant_id VARCHAR(64) NOT NULL,
    call_sid VARCHAR(100) NULL,
    caller_number VARCHAR(64) NOT NULL,
    called_number VARCHAR(64) NOT NULL,
    direction ENUM('inbound','outbound') NOT NULL DEFAULT 'inbound',
    status VARCHAR(20) NOT NULL DEFAULT 'ringing',
    current_flow VARCHAR(100) NULL,
    flow_id VARCHAR(64) NULL,
    department_id VARCHAR(64) NULL,
    agent_id VARCHAR(64) NULL,
    ai_minutes DECIMAL(10,2) NULL,
    transfer_minutes DECIMAL(10,2) NULL,
    total_duration INT NOT NULL DEFAULT 0,
    start_time DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    end_time DATETIME(3) NULL,
    context JSON NULL CHECK (context IS NULL OR JSON_VALID(context)),
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    PRIMARY KEY (id),
    UNIQUE KEY uq_calls_call_sid (call_sid),
    UNIQUE KEY uq_calls_tenant_id (tenant_id, id),
    -- Keyset pagination of the call logs: ORDER BY start_time DESC, id DESC.
    KEY idx_calls_tenant_start (tenant_id, start_time, id),
    KEY idx_calls_tenant_status (tenant_id, status, start_time),
    KEY idx_calls_tenant_caller (tenant_id, caller_number),
    KEY idx_calls_tenant_department (tenant_id, department_id),
    KEY idx_calls_tenant_agent (tenant_id, agent_id),
    CONSTRAINT chk_calls_durations CHECK (total_duration >= 0 AND (ai_minutes IS NULL OR ai_minutes >= 0) AND (transfer_minutes IS NULL OR transfer_minutes >= 0)),
    CONSTRAINT chk_calls_times CHECK (end_time IS NULL OR end_time >= start_time),
    CONSTRAINT fk_calls_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
    CONSTRAINT fk_calls_department FOREIGN KEY (tenant_id, department_id) REFERENCES departments (tenant_id, id) ON DELETE RESTRICT,
    CONSTRAINT fk_calls_agent FOREIGN KEY (tenant_id, agent_id) REFERENCES agents (tenant_id, id) ON DELETE RESTRICT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_as_ci;

-- from_department_id is NULL when the AI (no department) hands the call over. status
-- 'waiting' means no agent of the target department was free yet.
CREATE TABLE IF NOT EXISTS call_transfers (
    id VARCHAR(64) NOT NULL,
    tenant_id VARCHAR(64) NOT NULL,
    call_id VARCHAR(64) NOT NULL,
    from_department_id VARCHAR(64) NULL,
    to_department_id VARCHAR(64) NOT NULL,
    agent_id VARCHAR(64) NULL,
    transfer_reason VARCHAR(255) NULL,
    transfer_type ENUM('warm','cold','blind') NOT NULL DEFAULT 'warm',
    urgency_level VARCHAR(20) NULL,
    status ENUM('waiting','initiated','connecting','connected','completed','failed') NOT NULL DEFAULT 'initiated',
    transfer_time DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    connection_time DATETIME(3) NULL,
    completion_time DATETIME(3) NULL,
    context JSON NULL CHECK (context IS NULL OR JSON_VALID(context)),
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    PRIMARY KEY (id),
    UNIQUE KEY uq_call_transfers_tenant_id (tenant_id, id),
    KEY idx_call_transfers_tenant_call (tenant_id, call_id, transfer_time),
    KEY idx_call_transfers_tenant_to_dept (tenant_id, to_department_id, transfer_time),
    KEY idx_call_transfers_tenant_from_dept (tenant_id, from_department_id),
    KEY idx_call_transfers_tenant_agent (tenant_id, agent_id),
    KEY idx_call_transfers_tenant_status (tenant_id, status),
    KEY idx_call_transfers_tenant_time (tenant_id, transfer_time),
    CONSTRAINT chk_call_transfers_times CHECK ((connection_time IS NULL OR connection_time >= transfer_time) AND (completion_time IS NULL OR completion_time >= transfer_time)),
    CONSTRAINT fk_call_transfers_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
    CONSTRAINT fk_call_transfers_call FOREIGN KEY (tenant_id, call_id) REFERENCES calls (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT fk_call_transfers_from_department FOREIGN KEY (tenant_id, from_department_id) REFERENCES departments (tenant_id, id) ON DELETE RESTRICT,
    CONSTRAINT fk_call_transfers_to_department FOREIGN KEY (tenant_id, to_department_id) REFERENCES departments (tenant_id, id) ON DELETE RESTRICT,
    CONSTRAINT fk_call_transfers_agent FOREIGN KEY (tenant_id, agent_id) REFERENCES agents (tenant_id, id) ON DELETE RESTRICT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_as_ci;

-- The live event stream: a client resumes after the last id it saw (SSE Last-Event-ID),
-- hence (tenant_id, id). call_id is NULL for agent and department events.
CREATE TABLE IF NOT EXISTS call_events (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    tenant_id VARCHAR(64) NOT NULL,
    call_id VARCHAR(64) NULL,
    type VARCHAR(64) NOT NULL,
    payload JSON NULL CHECK (payload IS NULL OR JSON_VALID(payload)),
    created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    PRIMARY KEY (id),
    KEY idx_call_events_tenant_id (tenant_id, id),
    KEY idx_call_events_tenant_call (tenant_id, call_id, id),
    CONSTRAINT fk_call_events_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
    CONSTRAINT fk_call_events_call FOREIGN KEY (tenant_id, call_id) REFERENCES calls (tenant_id, id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_as_ci;
