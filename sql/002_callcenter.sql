-- Call-center tables: numbers, queues, CDRs, agent states, contacts, helpdesk, chat,
-- voicemail, SMS, recordings, IVR, surveys, schedules, blacklist, speed dials, webhooks.
-- Same conventions as 001: UTC DATETIME, every row carries tenant_id, and children reference
-- their parent by (tenant_id, id) so a row can never point at another tenant's row.
--
-- Optional references: MariaDB rejects ON DELETE SET NULL on a composite FK whose tenant_id
-- is NOT NULL (errno 150, "Foreign key constraint is incorrectly formed"). So an optional
-- reference is either CASCADE (the row belongs to its parent) or RESTRICT (history that must
-- outlive a soft delete: the application clears the column itself before a hard delete).
--
-- Every table also has its own fk_<table>_tenant. Deleting a tenant works because InnoDB runs
-- the cascades off tenants in constraint-name order: a RESTRICT child must be deleted before
-- its parent, so its fk_<table>_tenant must sort before the parent's. Users (fk_users_tenant)
-- are deleted after every table below except voicemail_messages, webhooks and webhook_logs,
-- which is why those three have no RESTRICT reference to users. Keep to this in later files.
--
-- route_type/route_target (dids, ivr_options) point at a queue, IVR menu, department, user
-- or an outside number depending on the type, so they cannot carry an FK. The application
-- checks that the target belongs to the same tenant.

CREATE TABLE IF NOT EXISTS schedules (
    id VARCHAR(64) NOT NULL,
    tenant_id VARCHAR(64) NOT NULL,
    name VARCHAR(255) NOT NULL,
    description TEXT NULL,
    -- IANA zone name, e.g. 'Europe/Paris': opening hours are wall-clock times in this zone.
    timezone VARCHAR(64) NOT NULL DEFAULT 'UTC',
    -- e.g. {"mon":[{"open":"09:00","close":"17:00"}],"sat":[],...}
    hours JSON NULL CHECK (hours IS NULL OR JSON_VALID(hours)),
    -- e.g. [{"date":"2025-12-25","name":"Christmas"}]: closed all day
    holidays JSON NULL CHECK (holidays IS NULL OR JSON_VALID(holidays)),
    is_active TINYINT(1) NOT NULL DEFAULT 1,
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    PRIMARY KEY (id),
    UNIQUE KEY uq_schedules_tenant_id (tenant_id, id),
    UNIQUE KEY uq_schedules_tenant_name (tenant_id, name),
    CONSTRAINT fk_schedules_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_as_ci;

-- A phone number belongs to one tenant, so `number` is unique across all tenants: an
-- inbound call is mapped to its tenant by the dialed number.
CREATE TABLE IF NOT EXISTS dids (
    id VARCHAR(64) NOT NULL,
    tenant_id VARCHAR(64) NOT NULL,
    number VARCHAR(20) NOT NULL,
    friendly_name VARCHAR(255) NULL,
    provider VARCHAR(50) NULL,
    provider_sid VARCHAR(100) NULL,
    country_code CHAR(2) NULL,
    voice_enabled TINYINT(1) NOT NULL DEFAULT 1,
    sms_enabled TINYINT(1) NOT NULL DEFAULT 0,
    route_type ENUM('queue','ivr','department','agent','voicemail','external') NOT NULL DEFAULT 'queue',
    route_target VARCHAR(64) NULL,
    -- Outside the schedule's hours calls go to the after-hours route instead.
    schedule_id VARCHAR(64) NULL,
    after_hours_route_type ENUM('queue','ivr','department','agent','voicemail','external') NULL,
    after_hours_route_target VARCHAR(64) NULL,
    is_active TINYINT(1) NOT NULL DEFAULT 1,
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    PRIMARY KEY (id),
    UNIQUE KEY uq_dids_number (number),
    UNIQUE KEY uq_dids_tenant_id (tenant_id, id),
    KEY idx_dids_tenant_active (tenant_id, is_active),
    KEY idx_dids_tenant_schedule (tenant_id, schedule_id),
    CONSTRAINT chk_dids_number CHECK (number REGEXP '^[+][1-9][0-9]{1,14}$'),
    CONSTRAINT fk_dids_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
    CONSTRAINT fk_dids_schedule FOREIGN KEY (tenant_id, schedule_id) REFERENCES schedules (tenant_id, id) ON DELETE RESTRICT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_as_ci;

-- Times are in seconds. max_wait_time and max_callers: 0 means no limit.
CREATE TABLE IF NOT EXISTS queues (
    id VARCHAR(64) NOT NULL,
    tenant_id VARCHAR(64) NOT NULL,
    name VARCHAR(255) NOT NULL,
    description TEXT NULL,
    strategy ENUM('ringall','roundrobin','leastrecent','fewestcalls','random','linear') NOT NULL DEFAULT 'ringall',
    timeout INT NOT NULL DEFAULT 30,
    retry INT NOT NULL DEFAULT 5,
    wrapup_time INT NOT NULL DEFAULT 0,
    max_wait_time INT NOT NULL DEFAULT 300,
    max_callers INT NOT NULL DEFAULT 0,
    service_level INT NOT NULL DEFAULT 20,
    music_on_hold VARCHAR(100) NOT NULL DEFAULT 'default',
    announce_position TINYINT(1) NOT NULL DEFAULT 0,
    is_active TINYINT(1) NOT NULL DEFAULT 1,
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    PRIMARY KEY (id),
    UNIQUE KEY uq_queues_tenant_id (tenant_id, id),
    UNIQUE KEY uq_queues_tenant_name (tenant_id, name),
    KEY idx_queues_tenant_active (tenant_id, is_active),
    CONSTRAINT chk_queues_timeout CHECK (timeout BETWEEN 1 AND 600),
    CONSTRAINT chk_queues_retry CHECK (retry BETWEEN 0 AND 600),
    CONSTRAINT chk_queues_wrapup CHECK (wrapup_time BETWEEN 0 AND 3600),
    CONSTRAINT chk_queues_limits CHECK (max_wait_time >= 0 AND max_callers >= 0 AND service_level >= 0),
    CONSTRAINT fk_queues_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_as_ci;

-- Lower penalty rings first (Asterisk semantics).
CREATE TABLE IF NOT EXISTS queue_members (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    tenant_id VARCHAR(64) NOT NULL,
    queue_id VARCHAR(64) NOT NULL,
    user_id VARCHAR(64) NOT NULL,
    penalty INT NOT NULL DEFAULT 0,
    is_paused TINYINT(1) NOT NULL DEFAULT 0,
    paused_reason VARCHAR(255) NULL,
    paused_at DATETIME NULL,
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    PRIMARY KEY (id),
    UNIQUE KEY uq_queue_members_queue_user (tenant_id, queue_id, user_id),
    KEY idx_queue_members_tenant_user (tenant_id, user_id),
    CONSTRAINT chk_queue_members_penalty CHECK (penalty BETWEEN 0 AND 100),
    CONSTRAINT fk_queue_members_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
    CONSTRAINT fk_queue_members_queue FOREIGN KEY (tenant_id, queue_id) REFERENCES queues (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT fk_queue_members_user FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_as_ci;

CREATE TABLE IF NOT EXISTS contacts (
    id VARCHAR(64) NOT NULL,
    tenant_id VARCHAR(64) NOT NULL,
    first_name VARCHAR(100) NULL,
    last_name VARCHAR(100) NULL,
    company VARCHAR(255) NULL,
    email VARCHAR(255) NULL,
    phone VARCHAR(32) NULL,
    mobile VARCHAR(32) NULL,
    notes TEXT NULL,
    tags JSON NULL CHECK (tags IS NULL OR JSON_VALID(tags)),
    custom_fields JSON NULL CHECK (custom_fields IS NULL OR JSON_VALID(custom_fields)),
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    PRIMARY KEY (id),
    UNIQUE KEY uq_contacts_tenant_id (tenant_id, id),
    KEY idx_contacts_tenant_phone (tenant_id, phone),
    KEY idx_contacts_tenant_mobile (tenant_id, mobile),
    KEY idx_contacts_tenant_email (tenant_id, email),
    KEY idx_contacts_tenant_name (tenant_id, last_name, first_name),
    CONSTRAINT fk_contacts_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_as_ci;

-- The audio file lives in storage; the row is its index. call_sid / uniqueid tie it to the
-- call (cdrs.recording_id points here, so this table has no FK back to cdrs).
CREATE TABLE IF NOT EXISTS recordings (
    id VARCHAR(64) NOT NULL,
    tenant_id VARCHAR(64) NOT NULL,
    call_sid VARCHAR(100) NULL,
    uniqueid VARCHAR(64) NULL,
    user_id VARCHAR(64) NULL,
    file_path VARCHAR(1024) NOT NULL,
    storage VARCHAR(20) NOT NULL DEFAULT 'local',
    format ENUM('wav','mp3','ogg','opus','gsm') NOT NULL DEFAULT 'wav',
    duration INT NOT NULL DEFAULT 0,
    size_bytes BIGINT UNSIGNED NOT NULL DEFAULT 0,
    checksum_sha256 CHAR(64) CHARACTER SET ascii NULL,
    status ENUM('recording','processing','available','failed') NOT NULL DEFAULT 'available',
    expires_at DATETIME NULL,
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    PRIMARY KEY (id),
    UNIQUE KEY uq_recordings_tenant_id (tenant_id, id),
    KEY idx_recordings_tenant_created (tenant_id, created_at),
    KEY idx_recordings_tenant_call_sid (tenant_id, call_sid),
    KEY idx_recordings_tenant_uniqueid (tenant_id, uniqueid),
    KEY idx_recordings_tenant_user (tenant_id, user_id, created_at),
    -- The retention job runs across all tenants.
    KEY idx_recordings_expires (expires_at),
    CONSTRAINT chk_recordings_duration CHECK (duration >= 0),
    CONSTRAINT fk_recordings_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
    CONSTRAINT fk_recordings_user FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE RESTRICT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_as_ci;

-- One row per call leg, written at hangup. duration counts from start, billsec from answer.
-- The user, queue, DID, contact and recording references are RESTRICT: a CDR is billing
-- history, so clear the column before hard-deleting what it points at (e.g. the recording
-- retention job sets recording_id = NULL, then deletes the recording).
CREATE TABLE IF NOT EXISTS cdrs (
    id VARCHAR(64) NOT NULL,
    tenant_id VARCHAR(64) NOT NULL,
    -- Provider call id (Twilio CallSid): globally unique, so a re-sent CDR is rejected.
    call_sid VARCHAR(100) NULL,
    -- Asterisk uniqueid / linkedid: unique per PBX only, so not a unique key.
    uniqueid VARCHAR(64) NULL,
    linkedid VARCHAR(64) NULL,
    direction ENUM('inbound','outbound','internal') NOT NULL,
    caller_number VARCHAR(64) NOT NULL,
    caller_name VARCHAR(255) NULL,
    called_number VARCHAR(64) NOT NULL,
    did_id VARCHAR(64) NULL,
    queue_id VARCHAR(64) NULL,
    user_id VARCHAR(64) NULL,
    contact_id VARCHAR(64) NULL,
    recording_id VARCHAR(64) NULL,
    start_time DATETIME NOT NULL,
    answer_time DATETIME NULL,
    end_time DATETIME NULL,
    duration INT NOT NULL DEFAULT 0,
    billsec INT NOT NULL DEFAULT 0,
    wait_time INT NULL,
    disposition ENUM('answered','no_answer','busy','failed','congestion','canceled') NOT NULL,
    hangup_cause VARCHAR(64) NULL,
    cost DECIMAL(10,4) NULL,
    metadata JSON NULL CHECK (metadata IS NULL OR JSON_VALID(metadata)),
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    PRIMARY KEY (id),
    UNIQUE KEY uq_cdrs_call_sid (call_sid),
    UNIQUE KEY uq_cdrs_tenant_id (tenant_id, id),
    KEY idx_cdrs_tenant_start (tenant_id, start_time, id),
    KEY idx_cdrs_tenant_user_start (tenant_id, user_id, start_time),
    KEY idx_cdrs_tenant_queue_start (tenant_id, queue_id, start_time),
    KEY idx_cdrs_tenant_did_start (tenant_id, did_id, start_time),
    KEY idx_cdrs_tenant_caller (tenant_id, caller_number),
    KEY idx_cdrs_tenant_called (tenant_id, called_number),
    KEY idx_cdrs_tenant_contact (tenant_id, contact_id),
    KEY idx_cdrs_tenant_recording (tenant_id, recording_id),
    KEY idx_cdrs_tenant_uniqueid (tenant_id, uniqueid),
    KEY idx_cdrs_tenant_linkedid (tenant_id, linkedid),
    CONSTRAINT chk_cdrs_durations CHECK (duration >= 0 AND billsec >= 0 AND billsec <= duration AND (wait_time IS NULL OR wait_time >= 0)),
    CONSTRAINT chk_cdrs_times CHECK ((answer_time IS NULL OR answer_time >= start_time) AND (end_time IS NULL OR end_time >= start_time)),
    CONSTRAINT fk_cdrs_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
    CONSTRAINT fk_cdrs_did FOREIGN KEY (tenant_id, did_id) REFERENCES dids (tenant_id, id) ON DELETE RESTRICT,
    CONSTRAINT fk_cdrs_queue FOREIGN KEY (tenant_id, queue_id) REFERENCES queues (tenant_id, id) ON DELETE RESTRICT,
    CONSTRAINT fk_cdrs_user FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE RESTRICT,
    CONSTRAINT fk_cdrs_contact FOREIGN KEY (tenant_id, contact_id) REFERENCES contacts (tenant_id, id) ON DELETE RESTRICT,
    CONSTRAINT fk_cdrs_recording FOREIGN KEY (tenant_id, recording_id) REFERENCES recordings (tenant_id, id) ON DELETE RESTRICT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_as_ci;

-- Current state of each agent (one row per user). changed_at is when `state` last changed.
CREATE TABLE IF NOT EXISTS agent_states (
    id VARCHAR(64) NOT NULL,
    tenant_id VARCHAR(64) NOT NULL,
    user_id VARCHAR(64) NOT NULL,
    state ENUM('available','busy','on_call','wrap_up','break','offline') NOT NULL DEFAULT 'offline',
    reason VARCHAR(255) NULL,
    current_call_sid VARCHAR(100) NULL,
    changed_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    break_started_at DATETIME NULL,
    logged_in_at DATETIME NULL,
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    PRIMARY KEY (id),
    UNIQUE KEY uq_agent_states_tenant_user (tenant_id, user_id),
    KEY idx_agent_states_tenant_state (tenant_id, state),
    CONSTRAINT fk_agent_states_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
    CONSTRAINT fk_agent_states_user FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_as_ci;

-- contact_id is CASCADE, not RESTRICT: tickets belong to their contact (erasing a contact
-- erases their tickets), and a RESTRICT here would make deleting the tenant fail, since
-- fk_contacts_tenant runs before fk_tickets_tenant (see the note at the top).
CREATE TABLE IF NOT EXISTS tickets (
    id VARCHAR(64) NOT NULL,
    tenant_id VARCHAR(64) NOT NULL,
    subject VARCHAR(255) NOT NULL,
    description TEXT NULL,
    status ENUM('open','pending','in_progress','on_hold','resolved','closed') NOT NULL DEFAULT 'open',
    priority ENUM('low','normal','high','urgent') NOT NULL DEFAULT 'normal',
    channel ENUM('phone','email','chat','sms','web','api') NOT NULL DEFAULT 'web',
    category VARCHAR(100) NULL,
    tags JSON NULL CHECK (tags IS NULL OR JSON_VALID(tags)),
    contact_id VARCHAR(64) NULL,
    assigned_to VARCHAR(64) NULL,
    created_by VARCHAR(64) NULL,
    due_at DATETIME NULL,
    first_response_at DATETIME NULL,
    resolved_at DATETIME NULL,
    closed_at DATETIME NULL,
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    PRIMARY KEY (id),
    UNIQUE KEY uq_tickets_tenant_id (tenant_id, id),
    KEY idx_tickets_tenant_status_created (tenant_id, status, created_at),
    KEY idx_tickets_tenant_priority_status (tenant_id, priority, status),
    KEY idx_tickets_tenant_assigned_status (tenant_id, assigned_to, status),
    KEY idx_tickets_tenant_contact (tenant_id, contact_id),
    KEY idx_tickets_tenant_created_by (tenant_id, created_by),
    KEY idx_tickets_tenant_created (tenant_id, created_at),
    CONSTRAINT fk_tickets_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
    CONSTRAINT fk_tickets_contact FOREIGN KEY (tenant_id, contact_id) REFERENCES contacts (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT fk_tickets_assigned_to FOREIGN KEY (tenant_id, assigned_to) REFERENCES users (tenant_id, id) ON DELETE RESTRICT,
    CONSTRAINT fk_tickets_created_by FOREIGN KEY (tenant_id, created_by) REFERENCES users (tenant_id, id) ON DELETE RESTRICT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_as_ci;

-- user_id is the agent who wrote the message; NULL when the author is the contact or the system.
CREATE TABLE IF NOT EXISTS ticket_messages (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    tenant_id VARCHAR(64) NOT NULL,
    ticket_id VARCHAR(64) NOT NULL,
    user_id VARCHAR(64) NULL,
    author_type ENUM('agent','contact','system') NOT NULL DEFAULT 'agent',
    body TEXT NOT NULL,
    is_internal TINYINT(1) NOT NULL DEFAULT 0,
    attachments JSON NULL CHECK (attachments IS NULL OR JSON_VALID(attachments)),
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    PRIMARY KEY (id),
    KEY idx_ticket_messages_tenant_ticket (tenant_id, ticket_id, id),
    KEY idx_ticket_messages_tenant_user (tenant_id, user_id),
    CONSTRAINT fk_ticket_messages_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
    CONSTRAINT fk_ticket_messages_ticket FOREIGN KEY (tenant_id, ticket_id) REFERENCES tickets (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT fk_ticket_messages_user FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE RESTRICT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_as_ci;

-- public_key is embedded in the customer's web page and identifies the widget (and so the
-- tenant) to the unauthenticated chat endpoint, hence unique across all tenants.
CREATE TABLE IF NOT EXISTS chat_widgets (
    id VARCHAR(64) NOT NULL,
    tenant_id VARCHAR(64) NOT NULL,
    name VARCHAR(255) NOT NULL,
    public_key VARCHAR(64) NOT NULL,
    allowed_origins JSON NULL CHECK (allowed_origins IS NULL OR JSON_VALID(allowed_origins)),
    greeting_message VARCHAR(1000) NULL,
    offline_message VARCHAR(1000) NULL,
    settings JSON NULL CHECK (settings IS NULL OR JSON_VALID(settings)),
    is_active TINYINT(1) NOT NULL DEFAULT 1,
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    PRIMARY KEY (id),
    UNIQUE KEY uq_chat_widgets_public_key (public_key),
    UNIQUE KEY uq_chat_widgets_tenant_id (tenant_id, id),
    UNIQUE KEY uq_chat_widgets_tenant_name (tenant_id, name),
    CONSTRAINT fk_chat_widgets_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_as_ci;

-- user_id is the agent currently handling the chat. visitor_id is the widget's cookie id.
CREATE TABLE IF NOT EXISTS chat_sessions (
    id VARCHAR(64) NOT NULL,
    tenant_id VARCHAR(64) NOT NULL,
    widget_id VARCHAR(64) NULL,
    contact_id VARCHAR(64) NULL,
    user_id VARCHAR(64) NULL,
    visitor_id VARCHAR(64) NOT NULL,
    visitor_name VARCHAR(255) NULL,
    visitor_email VARCHAR(255) NULL,
    visitor_ip VARCHAR(45) NULL,
    user_agent VARCHAR(255) NULL,
    page_url VARCHAR(2048) NULL,
    status ENUM('waiting','active','transferring','closed','abandoned','missed') NOT NULL DEFAULT 'waiting',
    started_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    accepted_at DATETIME NULL,
    ended_at DATETIME NULL,
    rating TINYINT NULL,
    feedback TEXT NULL,
    metadata JSON NULL CHECK (metadata IS NULL OR JSON_VALID(metadata)),
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    PRIMARY KEY (id),
    UNIQUE KEY uq_chat_sessions_tenant_id (tenant_id, id),
    KEY idx_chat_sessions_tenant_status_started (tenant_id, status, started_at),
    KEY idx_chat_sessions_tenant_user_status (tenant_id, user_id, status),
    KEY idx_chat_sessions_tenant_widget_started (tenant_id, widget_id, started_at),
    KEY idx_chat_sessions_tenant_contact (tenant_id, contact_id),
    KEY idx_chat_sessions_tenant_visitor (tenant_id, visitor_id),
    KEY idx_chat_sessions_tenant_started (tenant_id, started_at),
    CONSTRAINT chk_chat_sessions_rating CHECK (rating IS NULL OR rating BETWEEN 1 AND 5),
    CONSTRAINT fk_chat_sessions_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
    CONSTRAINT fk_chat_sessions_widget FOREIGN KEY (tenant_id, widget_id) REFERENCES chat_widgets (tenant_id, id) ON DELETE RESTRICT,
    CONSTRAINT fk_chat_sessions_contact FOREIGN KEY (tenant_id, contact_id) REFERENCES contacts (tenant_id, id) ON DELETE RESTRICT,
    CONSTRAINT fk_chat_sessions_user FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE RESTRICT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_as_ci;

-- user_id is set when an agent sent the message.
CREATE TABLE IF NOT EXISTS chat_messages (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    tenant_id VARCHAR(64) NOT NULL,
    session_id VARCHAR(64) NOT NULL,
    sender_type ENUM('visitor','agent','system','bot') NOT NULL,
    user_id VARCHAR(64) NULL,
    message_type ENUM('text','file','image','event') NOT NULL DEFAULT 'text',
    body TEXT NOT NULL,
    attachment JSON NULL CHECK (attachment IS NULL OR JSON_VALID(attachment)),
    read_at DATETIME NULL,
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (id),
    KEY idx_chat_messages_tenant_session (tenant_id, session_id, id),
    KEY idx_chat_messages_tenant_user (tenant_id, user_id),
    CONSTRAINT fk_chat_messages_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
    CONSTRAINT fk_chat_messages_session FOREIGN KEY (tenant_id, session_id) REFERENCES chat_sessions (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT fk_chat_messages_user FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE RESTRICT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_as_ci;

-- Chat availability and capacity of each agent (one row per user).
CREATE TABLE IF NOT EXISTS chat_agents (
    id VARCHAR(64) NOT NULL,
    tenant_id VARCHAR(64) NOT NULL,
    user_id VARCHAR(64) NOT NULL,
    status ENUM('online','away','busy','offline') NOT NULL DEFAULT 'offline',
    max_concurrent_chats INT NOT NULL DEFAULT 3,
    current_chats INT NOT NULL DEFAULT 0,
    last_activity_at DATETIME NULL,
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    PRIMARY KEY (id),
    UNIQUE KEY uq_chat_agents_tenant_user (tenant_id, user_id),
    KEY idx_chat_agents_tenant_status (tenant_id, status),
    CONSTRAINT chk_chat_agents_capacity CHECK (max_concurrent_chats BETWEEN 1 AND 50 AND current_chats >= 0),
    CONSTRAINT fk_chat_agents_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
    CONSTRAINT fk_chat_agents_user FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_as_ci;

-- from_user_id is NULL when the system (not an agent) hands the chat over.
CREATE TABLE IF NOT EXISTS chat_transfers (
    id VARCHAR(64) NOT NULL,
    tenant_id VARCHAR(64) NOT NULL,
    session_id VARCHAR(64) NOT NULL,
    from_user_id VARCHAR(64) NULL,
    to_user_id VARCHAR(64) NULL,
    reason VARCHAR(255) NULL,
    status ENUM('pending','accepted','rejected','expired','canceled') NOT NULL DEFAULT 'pending',
    requested_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    responded_at DATETIME NULL,
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    PRIMARY KEY (id),
    UNIQUE KEY uq_chat_transfers_tenant_id (tenant_id, id),
    KEY idx_chat_transfers_tenant_session (tenant_id, session_id, requested_at),
    KEY idx_chat_transfers_tenant_to_status (tenant_id, to_user_id, status),
    KEY idx_chat_transfers_tenant_from (tenant_id, from_user_id),
    CONSTRAINT fk_chat_transfers_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
    CONSTRAINT fk_chat_transfers_session FOREIGN KEY (tenant_id, session_id) REFERENCES chat_sessions (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT fk_chat_transfers_from_user FOREIGN KEY (tenant_id, from_user_id) REFERENCES users (tenant_id, id) ON DELETE RESTRICT,
    CONSTRAINT fk_chat_transfers_to_user FOREIGN KEY (tenant_id, to_user_id) REFERENCES users (tenant_id, id) ON DELETE RESTRICT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_as_ci;

-- user_id is the owner of a personal mailbox (NULL for a shared one such as a queue's):
-- CASCADE, the mailbox goes with its owner. It cannot be RESTRICT (see the note at the top).
CREATE TABLE IF NOT EXISTS voicemail_messages (
    id VARCHAR(64) NOT NULL,
    tenant_id VARCHAR(64) NOT NULL,
    mailbox VARCHAR(64) NOT NULL,
    user_id VARCHAR(64) NULL,
    call_sid VARCHAR(100) NULL,
    caller_number VARCHAR(64) NOT NULL,
    caller_name VARCHAR(255) NULL,
    called_number VARCHAR(64) NULL,
    file_path VARCHAR(1024) NOT NULL,
    format ENUM('wav','mp3','ogg','opus','gsm') NOT NULL DEFAULT 'wav',
    duration INT NOT NULL DEFAULT 0,
    size_bytes BIGINT UNSIGNED NOT NULL DEFAULT 0,
    transcription TEXT NULL,
    status ENUM('new','read','saved','deleted') NOT NULL DEFAULT 'new',
    listened_at DATETIME NULL,
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    PRIMARY KEY (id),
    UNIQUE KEY uq_voicemail_messages_tenant_id (tenant_id, id),
    KEY idx_voicemail_messages_tenant_user_status (tenant_id, user_id, status, created_at),
    KEY idx_voicemail_messages_tenant_mailbox_status (tenant_id, mailbox, status, created_at),
    KEY idx_voicemail_messages_tenant_created (tenant_id, created_at),
    KEY idx_voicemail_messages_tenant_caller (tenant_id, caller_number),
    CONSTRAINT chk_voicemail_messages_duration CHECK (duration >= 0),
    CONSTRAINT fk_voicemail_messages_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
    CONSTRAINT fk_voicemail_messages_user FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_as_ci;

-- Conversations are matched to contacts and DIDs by number, not by FK. user_id is the
-- agent who sent an outbound message. provider_sid (e.g. Twilio MessageSid) is global.
CREATE TABLE IF NOT EXISTS sms_messages (
    id VARCHAR(64) NOT NULL,
    tenant_id VARCHAR(64) NOT NULL,
    direction ENUM('inbound','outbound') NOT NULL,
    from_number VARCHAR(32) NOT NULL,
    to_number VARCHAR(32) NOT NULL,
    body TEXT NOT NULL,
    media JSON NULL CHECK (media IS NULL OR JSON_VALID(media)),
    status ENUM('queued','sending','sent','delivered','undelivered','failed','received') NOT NULL DEFAULT 'queued',
    provider VARCHAR(50) NULL,
    provider_sid VARCHAR(100) NULL,
    segments INT NOT NULL DEFAULT 1,
    error_code VARCHAR(32) NULL,
    error_message VARCHAR(255) NULL,
    user_id VARCHAR(64) NULL,
    sent_at DATETIME NULL,
    delivered_at DATETIME NULL,
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    PRIMARY KEY (id),
    UNIQUE KEY uq_sms_messages_provider_sid (provider_sid),
    UNIQUE KEY uq_sms_messages_tenant_id (tenant_id, id),
    KEY idx_sms_messages_tenant_created (tenant_id, created_at),
    KEY idx_sms_messages_tenant_from_created (tenant_id, from_number, created_at),
    KEY idx_sms_messages_tenant_to_created (tenant_id, to_number, created_at),
    KEY idx_sms_messages_tenant_status (tenant_id, status),
    KEY idx_sms_messages_tenant_user (tenant_id, user_id),
    CONSTRAINT chk_sms_messages_segments CHECK (segments BETWEEN 1 AND 100),
    CONSTRAINT fk_sms_messages_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
    CONSTRAINT fk_sms_messages_user FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE RESTRICT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_as_ci;

CREATE TABLE IF NOT EXISTS call_tags (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    tenant_id VARCHAR(64) NOT NULL,
    cdr_id VARCHAR(64) NOT NULL,
    tag VARCHAR(64) NOT NULL,
    created_by VARCHAR(64) NULL,
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (id),
    UNIQUE KEY uq_call_tags_cdr_tag (tenant_id, cdr_id, tag),
    KEY idx_call_tags_tenant_tag (tenant_id, tag),
    KEY idx_call_tags_tenant_created_by (tenant_id, created_by),
    CONSTRAINT fk_call_tags_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
    CONSTRAINT fk_call_tags_cdr FOREIGN KEY (tenant_id, cdr_id) REFERENCES cdrs (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT fk_call_tags_created_by FOREIGN KEY (tenant_id, created_by) REFERENCES users (tenant_id, id) ON DELETE RESTRICT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_as_ci;

CREATE TABLE IF NOT EXISTS notifications (
    id VARCHAR(64) NOT NULL,
    tenant_id VARCHAR(64) NOT NULL,
    user_id VARCHAR(64) NOT NULL,
    type VARCHAR(64) NOT NULL,
    title VARCHAR(255) NOT NULL,
    body TEXT NULL,
    data JSON NULL CHECK (data IS NULL OR JSON_VALID(data)),
    priority ENUM('low','normal','high') NOT NULL DEFAULT 'normal',
    is_read TINYINT(1) NOT NULL DEFAULT 0,
    read_at DATETIME NULL,
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    PRIMARY KEY (id),
    KEY idx_notifications_tenant_user_read (tenant_id, user_id, is_read, created_at),
    CONSTRAINT fk_notifications_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
    CONSTRAINT fk_notifications_user FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_as_ci;

-- timeout is the seconds to wait for a digit; after max_retries the menu's 't' (timeout)
-- or 'i' (invalid) option is taken, or the call hangs up.
CREATE TABLE IF NOT EXISTS ivr_menus (
    id VARCHAR(64) NOT NULL,
    tenant_id VARCHAR(64) NOT NULL,
    name VARCHAR(255) NOT NULL,
    description TEXT NULL,
    greeting_type ENUM('tts','audio') NOT NULL DEFAULT 'tts',
    greeting_text TEXT NULL,
    greeting_audio_path VARCHAR(1024) NULL,
    language VARCHAR(16) NOT NULL DEFAULT 'en-US',
    voice VARCHAR(64) NULL,
    timeout INT NOT NULL DEFAULT 5,
    max_retries INT NOT NULL DEFAULT 3,
    is_active TINYINT(1) NOT NULL DEFAULT 1,
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    PRIMARY KEY (id),
    UNIQUE KEY uq_ivr_menus_tenant_id (tenant_id, id),
    UNIQUE KEY uq_ivr_menus_tenant_name (tenant_id, name),
    CONSTRAINT chk_ivr_menus_timeout CHECK (timeout BETWEEN 1 AND 60),
    CONSTRAINT chk_ivr_menus_retries CHECK (max_retries BETWEEN 0 AND 10),
    CONSTRAINT fk_ivr_menus_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_as_ci;

-- digit is a keypad key, or 't' / 'i' for the timeout and invalid-input branches.
-- digit is ascii_bin so that 't' and 'T' are not the same key.
CREATE TABLE IF NOT EXISTS ivr_options (
    id VARCHAR(64) NOT NULL,
    tenant_id VARCHAR(64) NOT NULL,
    menu_id VARCHAR(64) NOT NULL,
    digit CHAR(1) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    label VARCHAR(255) NULL,
    route_type ENUM('queue','ivr','department','agent','voicemail','external','repeat','hangup') NOT NULL,
    route_target VARCHAR(64) NULL,
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    PRIMARY KEY (id),
    UNIQUE KEY uq_ivr_options_menu_digit (tenant_id, menu_id, digit),
    CONSTRAINT chk_ivr_options_digit CHECK (digit IN ('0','1','2','3','4','5','6','7','8','9','*','#','t','i')),
    CONSTRAINT fk_ivr_options_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
    CONSTRAINT fk_ivr_options_menu FOREIGN KEY (tenant_id, menu_id) REFERENCES ivr_menus (tenant_id, id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_as_ci;

-- questions: e.g. [{"id":"q1","text":"How satisfied were you?","type":"scale","min":1,"max":5}]
CREATE TABLE IF NOT EXISTS call_surveys (
    id VARCHAR(64) NOT NULL,
    tenant_id VARCHAR(64) NOT NULL,
    name VARCHAR(255) NOT NULL,
    description TEXT NULL,
    channel ENUM('ivr','sms','email') NOT NULL DEFAULT 'ivr',
    questions JSON NULL CHECK (questions IS NULL OR JSON_VALID(questions)),
    is_active TINYINT(1) NOT NULL DEFAULT 1,
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    PRIMARY KEY (id),
    UNIQUE KEY uq_call_surveys_tenant_id (tenant_id, id),
    UNIQUE KEY uq_call_surveys_tenant_name (tenant_id, name),
    KEY idx_call_surveys_tenant_active (tenant_id, is_active),
    CONSTRAINT fk_call_surveys_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_as_ci;

-- score is the overall answer (CSAT 1-5 or NPS 0-10). The survey and CDR references are
-- CASCADE: a response means nothing without them, and RESTRICT would break deleting the
-- tenant (fk_call_surveys_tenant and fk_cdrs_tenant run first). user_id is the agent rated.
CREATE TABLE IF NOT EXISTS survey_responses (
    id VARCHAR(64) NOT NULL,
    tenant_id VARCHAR(64) NOT NULL,
    survey_id VARCHAR(64) NOT NULL,
    cdr_id VARCHAR(64) NULL,
    call_sid VARCHAR(100) NULL,
    user_id VARCHAR(64) NULL,
    caller_number VARCHAR(64) NULL,
    answers JSON NULL CHECK (answers IS NULL OR JSON_VALID(answers)),
    score TINYINT NULL,
    comment TEXT NULL,
    status ENUM('partial','completed') NOT NULL DEFAULT 'partial',
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    PRIMARY KEY (id),
    KEY idx_survey_responses_tenant_survey_created (tenant_id, survey_id, created_at),
    KEY idx_survey_responses_tenant_cdr (tenant_id, cdr_id),
    KEY idx_survey_responses_tenant_call_sid (tenant_id, call_sid),
    KEY idx_survey_responses_tenant_user_created (tenant_id, user_id, created_at),
    CONSTRAINT chk_survey_responses_score CHECK (score IS NULL OR score BETWEEN 0 AND 10),
    CONSTRAINT fk_survey_responses_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
    CONSTRAINT fk_survey_responses_survey FOREIGN KEY (tenant_id, survey_id) REFERENCES call_surveys (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT fk_survey_responses_cdr FOREIGN KEY (tenant_id, cdr_id) REFERENCES cdrs (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT fk_survey_responses_user FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE RESTRICT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_as_ci;

-- An entry stops applying at expires_at (NULL = permanent).
CREATE TABLE IF NOT EXISTS blacklist (
    id VARCHAR(64) NOT NULL,
    tenant_id VARCHAR(64) NOT NULL,
    number VARCHAR(32) NOT NULL,
    reason VARCHAR(255) NULL,
    direction ENUM('inbound','outbound','both') NOT NULL DEFAULT 'inbound',
    created_by VARCHAR(64) NULL,
    expires_at DATETIME NULL,
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    PRIMARY KEY (id),
    UNIQUE KEY uq_blacklist_tenant_number (tenant_id, number),
    KEY idx_blacklist_tenant_created_by (tenant_id, created_by),
    CONSTRAINT fk_blacklist_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
    CONSTRAINT fk_blacklist_created_by FOREIGN KEY (tenant_id, created_by) REFERENCES users (tenant_id, id) ON DELETE RESTRICT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_as_ci;

-- Tenant-wide short codes: dialing `code` calls `number`.
CREATE TABLE IF NOT EXISTS speed_dials (
    id VARCHAR(64) NOT NULL,
    tenant_id VARCHAR(64) NOT NULL,
    code VARCHAR(10) NOT NULL,
    name VARCHAR(255) NOT NULL,
    number VARCHAR(64) NOT NULL,
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    PRIMARY KEY (id),
    UNIQUE KEY uq_speed_dials_tenant_code (tenant_id, code),
    CONSTRAINT chk_speed_dials_code CHECK (code REGEXP '^[0-9*#]{1,10}$'),
    CONSTRAINT fk_speed_dials_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_as_ci;

-- events: JSON array of subscribed event names, e.g. ["call.ended","ticket.created"].
-- secret_encrypted holds the HMAC signing secret encrypted by the application.
CREATE TABLE IF NOT EXISTS webhooks (
    id VARCHAR(64) NOT NULL,
    tenant_id VARCHAR(64) NOT NULL,
    name VARCHAR(255) NOT NULL,
    url VARCHAR(2048) NOT NULL,
    events JSON NULL CHECK (events IS NULL OR JSON_VALID(events)),
    secret_encrypted VARBINARY(512) NULL,
    is_active TINYINT(1) NOT NULL DEFAULT 1,
    max_retries INT NOT NULL DEFAULT 3,
    timeout_ms INT NOT NULL DEFAULT 5000,
    failure_count INT NOT NULL DEFAULT 0,
    last_triggered_at DATETIME NULL,
    last_success_at DATETIME NULL,
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    PRIMARY KEY (id),
    UNIQUE KEY uq_webhooks_tenant_id (tenant_id, id),
    KEY idx_webhooks_tenant_active (tenant_id, is_active),
    CONSTRAINT chk_webhooks_url CHECK (url LIKE 'https://%' OR url LIKE 'http://%'),
    CONSTRAINT chk_webhooks_retries CHECK (max_retries BETWEEN 0 AND 10),
    CONSTRAINT chk_webhooks_timeout CHECK (timeout_ms BETWEEN 100 AND 60000),
    CONSTRAINT chk_webhooks_failures CHECK (failure_count >= 0),
    CONSTRAINT fk_webhooks_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_as_ci;

-- One row per delivery attempt. status_code is NULL when no HTTP response came back
-- (timeout, connection refused): `error` says why.
CREATE TABLE IF NOT EXISTS webhook_logs (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    tenant_id VARCHAR(64) NOT NULL,
    webhook_id VARCHAR(64) NOT NULL,
    event VARCHAR(64) NOT NULL,
    delivery_id VARCHAR(64) NULL,
    payload JSON NULL CHECK (payload IS NULL OR JSON_VALID(payload)),
    status_code SMALLINT NULL,
    response_time_ms INT NULL,
    response_body TEXT NULL,
    attempt INT NOT NULL DEFAULT 1,
    success TINYINT(1) NOT NULL DEFAULT 0,
    error VARCHAR(1024) NULL,
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (id),
    KEY idx_webhook_logs_tenant_webhook (tenant_id, webhook_id, id),
    KEY idx_webhook_logs_tenant_created (tenant_id, created_at),
    KEY idx_webhook_logs_tenant_delivery (tenant_id, delivery_id),
    CONSTRAINT chk_webhook_logs_status CHECK (status_code IS NULL OR status_code BETWEEN 100 AND 599),
    CONSTRAINT chk_webhook_logs_attempt CHECK (attempt >= 1 AND (response_time_ms IS NULL OR response_time_ms >= 0)),
    CONSTRAINT fk_webhook_logs_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
    CONSTRAINT fk_webhook_logs_webhook FOREIGN KEY (tenant_id, webhook_id) REFERENCES webhooks (tenant_id, id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_as_ci;
