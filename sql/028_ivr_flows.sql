-- Issue 11: IVR flows (the calldocker family's /api/ivr…) and the one engine that runs
-- them and the callcenter family's menus (ivr_menus/ivr_options, 002). docs/ivr.md gives
-- the graph document, its node types and the validation rules.
--
-- A flow is a name plus numbered versions. Saving a flow adds a version (latest_version+1,
-- taken under the flow's row lock, so numbering never depends on auto-increment order);
-- `activate` points active_version at one of them. Old versions are kept: a session runs
-- to its end on the version it started on.
CREATE TABLE IF NOT EXISTS ivr_flows (
    id VARCHAR(64) NOT NULL,
    tenant_id VARCHAR(64) NOT NULL,
    name VARCHAR(255) NOT NULL,
    description TEXT NULL,
    status ENUM('draft','active','inactive') NOT NULL DEFAULT 'draft',
    latest_version INT NOT NULL DEFAULT 0,
    active_version INT NULL,
    created_by VARCHAR(64) NULL,
    created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
    PRIMARY KEY (id),
    UNIQUE KEY uq_ivr_flows_tenant_id (tenant_id, id),
    UNIQUE KEY uq_ivr_flows_tenant_name (tenant_id, name),
    KEY idx_ivr_flows_tenant_status (tenant_id, status),
    CONSTRAINT fk_ivr_flows_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_as_ci;

CREATE TABLE IF NOT EXISTS ivr_flow_versions (
    id VARCHAR(64) NOT NULL,
    tenant_id VARCHAR(64) NOT NULL,
    flow_id VARCHAR(64) NOT NULL,
    version INT NOT NULL,
    graph JSON NOT NULL CHECK (JSON_VALID(graph)),
    created_by VARCHAR(64) NULL,
    created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    PRIMARY KEY (id),
    UNIQUE KEY uq_ivr_flow_versions_flow_version (tenant_id, flow_id, version),
    CONSTRAINT chk_ivr_flow_versions_version CHECK (version >= 1),
    CONSTRAINT fk_ivr_flow_versions_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
    CONSTRAINT fk_ivr_flow_versions_flow FOREIGN KEY (tenant_id, flow_id) REFERENCES ivr_flows (tenant_id, id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_as_ci;

-- What a say or play node speaks: text read by the telephony side's TTS in `language`
-- and `voice`, or an audio file at audio_url (an https URL, or a path under the tenant's
-- files that nginx serves).
CREATE TABLE IF NOT EXISTS ivr_content (
    id VARCHAR(64) NOT NULL,
    tenant_id VARCHAR(64) NOT NULL,
    name VARCHAR(255) NOT NULL,
    type ENUM('text','audio') NOT NULL DEFAULT 'text',
    text TEXT NULL,
    audio_url VARCHAR(1024) NULL,
    language VARCHAR(16) NOT NULL DEFAULT 'en-US',
    voice VARCHAR(64) NULL,
    created_by VARCHAR(64) NULL,
    created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
    PRIMARY KEY (id),
    UNIQUE KEY uq_ivr_content_tenant_id (tenant_id, id),
    UNIQUE KEY uq_ivr_content_tenant_name (tenant_id, name),
    CONSTRAINT chk_ivr_content_body CHECK ((type = 'text' AND text IS NOT NULL) OR (type = 'audio' AND audio_url IS NOT NULL)),
    CONSTRAINT fk_ivr_content_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_as_ci;

-- One caller's walk through a flow version (or a menu: flow_id NULL, menu_id set).
-- channel: api (the sessions API), twilio (a call's voice webhook), preview.
-- node_id: where the caller is now; attempts: failed inputs at that node so far.
-- outcome_*: where the session ended (route type and target), or NULL.
-- seq: the number of steps recorded so far (ivr_steps.seq is taken from it under the
-- session's row lock).
CREATE TABLE IF NOT EXISTS ivr_sessions (
    id VARCHAR(64) NOT NULL,
    tenant_id VARCHAR(64) NOT NULL,
    flow_id VARCHAR(64) NULL,
    version INT NULL,
    menu_id VARCHAR(64) NULL,
    channel ENUM('api','twilio','preview') NOT NULL DEFAULT 'api',
    call_id VARCHAR(64) NULL,
    call_sid VARCHAR(100) NULL,
    caller_number VARCHAR(64) NULL,
    called_number VARCHAR(64) NULL,
    status ENUM('active','routed','completed','abandoned') NOT NULL DEFAULT 'active',
    node_id VARCHAR(64) NULL,
    attempts INT NOT NULL DEFAULT 0,
    seq INT NOT NULL DEFAULT 0,
    variables JSON NULL CHECK (variables IS NULL OR JSON_VALID(variables)),
    outcome_type VARCHAR(32) NULL,
    outcome_target VARCHAR(64) NULL,
    started_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    ended_at DATETIME(3) NULL,
    updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
    PRIMARY KEY (id),
    UNIQUE KEY uq_ivr_sessions_tenant_id (tenant_id, id),
    UNIQUE KEY uq_ivr_sessions_call_sid (call_sid),
    KEY idx_ivr_sessions_tenant_flow_started (tenant_id, flow_id, started_at),
    KEY idx_ivr_sessions_tenant_started (tenant_id, started_at),
    KEY idx_ivr_sessions_tenant_status (tenant_id, status),
    CONSTRAINT fk_ivr_sessions_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
    CONSTRAINT fk_ivr_sessions_flow FOREIGN KEY (tenant_id, flow_id) REFERENCES ivr_flows (tenant_id, id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_as_ci;

-- Each step a session took: the node it ran and what happened there (result: played,
-- input, invalid, timeout, branched, set, routed, hangup, ended). IVR analytics read where
-- callers go, drop (the last step of an abandoned session) or press 0 from here.
CREATE TABLE IF NOT EXISTS ivr_steps (
    tenant_id VARCHAR(64) NOT NULL,
    session_id VARCHAR(64) NOT NULL,
    seq INT NOT NULL,
    flow_id VARCHAR(64) NULL,
    node_id VARCHAR(64) NOT NULL,
    node_type VARCHAR(16) NOT NULL,
    input VARCHAR(64) NULL,
    result VARCHAR(16) NOT NULL,
    created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    PRIMARY KEY (tenant_id, session_id, seq),
    KEY idx_ivr_steps_tenant_flow_node (tenant_id, flow_id, node_id, created_at),
    KEY idx_ivr_steps_tenant_created (tenant_id, created_at),
    CONSTRAINT fk_ivr_steps_session FOREIGN KEY (tenant_id, session_id) REFERENCES ivr_sessions (tenant_id, id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_as_ci;
