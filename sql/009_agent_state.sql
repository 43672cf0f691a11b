-- Issue 8: agent state on two axes, as TaskRouter and mod_callcenter keep it. The agent
-- chooses a presence (available, away, break with a reason, offline = logged out); the
-- system drives the activity (idle, offered, on_call, wrap_up). Only an available, idle
-- agent with capacity left is offered a call. `state` stays: it is the one word the Go
-- clients read, recomputed from the two axes on every change (include/agent_state.h).
--
-- active_calls counts offers pending and calls in progress, so the CHECK below is the last
-- guard against giving an agent more than its capacity, whatever the distributor does.
ALTER TABLE agent_states
    ADD COLUMN IF NOT EXISTS presence ENUM('available','away','break','offline') NOT NULL DEFAULT 'offline' AFTER state,
    ADD COLUMN IF NOT EXISTS activity ENUM('idle','offered','on_call','wrap_up') NOT NULL DEFAULT 'idle' AFTER presence,
    ADD COLUMN IF NOT EXISTS presence_since DATETIME(3) NULL AFTER activity,
    ADD COLUMN IF NOT EXISTS activity_since DATETIME(3) NULL AFTER presence_since,
    ADD COLUMN IF NOT EXISTS capacity INT NOT NULL DEFAULT 1,
    ADD COLUMN IF NOT EXISTS active_calls INT NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS wrapup_until DATETIME(3) NULL,
    ADD COLUMN IF NOT EXISTS last_call_ended_at DATETIME(3) NULL,
    ADD COLUMN IF NOT EXISTS calls_answered_today INT NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS calls_day DATE NULL;
ALTER TABLE agent_states
    ADD CONSTRAINT chk_agent_states_capacity CHECK (capacity BETWEEN 1 AND 20),
    ADD CONSTRAINT chk_agent_states_active_calls CHECK (active_calls BETWEEN 0 AND capacity);
CREATE INDEX IF NOT EXISTS idx_agent_states_presence ON agent_states (tenant_id, presence, activity);

-- Rows written before this file: their one word split into the two axes.
UPDATE agent_states SET
    presence = CASE state WHEN 'offline' THEN 'offline' WHEN 'break' THEN 'break'
                          WHEN 'busy' THEN 'away' ELSE 'available' END,
    activity = CASE state WHEN 'on_call' THEN 'on_call' WHEN 'wrap_up' THEN 'wrap_up'
                          ELSE 'idle' END,
    presence_since = changed_at, activity_since = changed_at;

-- Every interval of each axis, closed and opened at the same instant by one change, so the
-- time per state and day (occupancy, adherence) is a sum over rows. At most one open
-- interval (ended_at NULL) per user and axis: the one agent_state_change() closes next.
CREATE TABLE IF NOT EXISTS agent_state_history (
    id VARCHAR(64) NOT NULL,
    tenant_id VARCHAR(64) NOT NULL,
    user_id VARCHAR(64) NOT NULL,
    axis ENUM('presence','activity') NOT NULL,
    value VARCHAR(16) NOT NULL,
    reason VARCHAR(64) NULL,
    started_at DATETIME(3) NOT NULL,
    ended_at DATETIME(3) NULL,
    PRIMARY KEY (id),
    KEY idx_agent_state_history_user (tenant_id, user_id, started_at),
    KEY idx_agent_state_history_open (tenant_id, user_id, axis, ended_at),
    CONSTRAINT fk_agent_state_history_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
    CONSTRAINT fk_agent_state_history_user FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_as_ci;
