-- Issue 8, distribution: calls waiting in queues, the offers (reservations) made to agents,
-- and what the clock process needs to find due work with an index.
--
-- A queued call is one row of queue_calls from the moment it enters a queue until it ends
-- (answered and hung up, abandoned, overflowed, timed out). Order in the queue is
-- (priority DESC, entered_at, id): entered_at is the time the row was written, never an
-- auto-increment value, so several app hosts on a Galera cluster agree on it.
--
-- status:
--   waiting   no offer out; next_offer_at says when the distributor may try (retry delay)
--   offered   one offer (or, ringall, several) pending
--   answered  an agent accepted; agent_id says who
--   ended     the answered call hung up (a CDR is written in the same transaction)
--   abandoned the caller hung up before an answer
--   overflowed / timeout / no_agent   left the queue for its overflow target, or ended
--
-- round: an agent who let an offer expire or rejected it is not offered the same call
-- again in the same round; when nobody else is left the round starts over (app_queue does
-- the same with its member list).
CREATE TABLE IF NOT EXISTS queue_calls (
    id VARCHAR(64) NOT NULL,
    tenant_id VARCHAR(64) NOT NULL,
    queue_id VARCHAR(64) NOT NULL,
    call_id VARCHAR(64) NULL,
    did_id VARCHAR(64) NULL,
    caller_number VARCHAR(64) NOT NULL,
    caller_name VARCHAR(255) NULL,
    called_number VARCHAR(64) NULL,
    priority INT NOT NULL DEFAULT 0,
    status ENUM('waiting','offered','answered','ended','abandoned','overflowed','timeout','no_agent') NOT NULL DEFAULT 'waiting',
    round INT NOT NULL DEFAULT 0,
    tries INT NOT NULL DEFAULT 0,
    entered_at DATETIME(3) NOT NULL,
    next_offer_at DATETIME(3) NOT NULL,
    -- entered_at + the queue's max_wait_time; NULL when the queue has none.
    deadline_at DATETIME(3) NULL,
    agent_id VARCHAR(64) NULL,
    answered_at DATETIME(3) NULL,
    ended_at DATETIME(3) NULL,
    hold_seconds INT NOT NULL DEFAULT 0,
    hold_started_at DATETIME(3) NULL,
    hangup_side ENUM('caller','agent','system') NULL,
    -- Where an overflowed call went ("queue:<id>", "department:<id>", "voicemail", "hangup").
    overflow_to VARCHAR(80) NULL,
    -- The queue it overflowed from: the wait before the move counts in the caller's wait.
    from_queue_call_id VARCHAR(64) NULL,
    -- How many overflows brought the caller here: a loop of overflow targets ends the call.
    overflow_hops INT NOT NULL DEFAULT 0,
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    PRIMARY KEY (id),
    UNIQUE KEY uq_queue_calls_tenant_id (tenant_id, id),
    -- The head of a queue, and a call's position in it: in line order, so the head is
    -- the first entry whose retry delay is over, read without a sort.
    KEY idx_queue_calls_line (tenant_id, queue_id, status, priority DESC, entered_at, id),
    -- The clock: calls due for an offer, and calls past their deadline.
    KEY idx_queue_calls_due (status, next_offer_at),
    KEY idx_queue_calls_deadline (status, deadline_at),
    KEY idx_queue_calls_agent (tenant_id, agent_id, status),
    KEY idx_queue_calls_call (tenant_id, call_id),
    CONSTRAINT chk_queue_calls_hold CHECK (hold_seconds >= 0),
    CONSTRAINT fk_queue_calls_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
    CONSTRAINT fk_queue_calls_queue FOREIGN KEY (tenant_id, queue_id) REFERENCES queues (tenant_id, id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_as_ci;

-- An offer is a reservation of one agent for one call until expires_at (the queue's
-- timeout). A pending offer counts against the agent's capacity (agent_states.active_calls),
-- so an agent is never offered more calls than they can take.
CREATE TABLE IF NOT EXISTS queue_offers (
    id VARCHAR(64) NOT NULL,
    tenant_id VARCHAR(64) NOT NULL,
    queue_call_id VARCHAR(64) NOT NULL,
    queue_id VARCHAR(64) NOT NULL,
    user_id VARCHAR(64) NOT NULL,
    round INT NOT NULL DEFAULT 0,
    status ENUM('pending','accepted','rejected','expired','withdrawn') NOT NULL DEFAULT 'pending',
    offered_at DATETIME(3) NOT NULL,
    expires_at DATETIME(3) NOT NULL,
    resolved_at DATETIME(3) NULL,
    PRIMARY KEY (id),
    UNIQUE KEY uq_queue_offers_tenant_id (tenant_id, id),
    KEY idx_queue_offers_call (tenant_id, queue_call_id, round, status),
    KEY idx_queue_offers_user (tenant_id, user_id, status),
    KEY idx_queue_offers_expiry (status, expires_at),
    CONSTRAINT fk_queue_offers_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE,
    CONSTRAINT fk_queue_offers_call FOREIGN KEY (tenant_id, queue_call_id) REFERENCES queue_calls (tenant_id, id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_as_ci;

-- roundrobin remembers, per queue, the position of the member offered last (app_queue's
-- rrmemory).
ALTER TABLE queues ADD COLUMN IF NOT EXISTS rr_last_position INT NOT NULL DEFAULT -1;

-- A queue whose live figures changed since its last queue.stats event. Its own table, not
-- columns of queues: every move marks it last, after the agents, so marking never takes
-- the queue row's lock out of order (queue_dist.h). The clock sends the event at most
-- once a second per queue.
CREATE TABLE IF NOT EXISTS queue_live_marks (
    tenant_id VARCHAR(64) NOT NULL,
    queue_id VARCHAR(64) NOT NULL,
    dirty_at DATETIME(3) NULL,
    sent_at DATETIME(3) NULL,
    PRIMARY KEY (tenant_id, queue_id),
    KEY idx_queue_live_marks_dirty (dirty_at),
    CONSTRAINT fk_queue_live_marks_queue FOREIGN KEY (tenant_id, queue_id) REFERENCES queues (tenant_id, id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_as_ci;

-- The clock's other due work: agents whose wrap-up is over.
CREATE INDEX IF NOT EXISTS idx_agent_states_wrapup ON agent_states (activity, wrapup_until);
