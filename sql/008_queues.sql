-- Issue 8, queues and members: where a queue sends its callers when they cannot be served,
-- the schedule it will follow, the threshold below which an abandoned call is not counted
-- against the queue, and the order of members for the `linear` strategy.

-- overflow_type: what happens to a caller who waited max_wait_time (or finds no member
-- logged in): another queue, a department, voicemail, or hang up; NULL keeps the caller
-- waiting (max_wait_time 0) or ends the call as a timeout. overflow_target_id names the
-- queue or department of the same tenant; like dids.route_target it cannot carry an FK
-- (its table depends on the type), so the application checks it, and the CHECKs below keep
-- the pair whole (a target exactly when the type needs one) and a queue from naming itself.
--
-- schedule_id is RESTRICT, as optional references are here (002's note on SET NULL), and
-- fk_queues_tenant sorts before fk_schedules_tenant, so deleting a tenant deletes its
-- queues before its schedules.
--
-- short_abandon_seconds: a caller who hangs up within this many seconds of entering the
-- queue is a short abandon (a misdial or a changed mind), left out of the abandonment
-- rate and the service level, as contact centers usually report them; 0 counts every
-- abandon.
ALTER TABLE queues
    ADD COLUMN IF NOT EXISTS overflow_type ENUM('queue','department','voicemail','hangup') NULL AFTER announce_position,
    ADD COLUMN IF NOT EXISTS overflow_target_id VARCHAR(64) NULL AFTER overflow_type,
    ADD COLUMN IF NOT EXISTS schedule_id VARCHAR(64) NULL AFTER overflow_target_id,
    ADD COLUMN IF NOT EXISTS short_abandon_seconds INT NOT NULL DEFAULT 5 AFTER service_level;

ALTER TABLE queues
    ADD CONSTRAINT IF NOT EXISTS chk_queues_short_abandon CHECK (short_abandon_seconds BETWEEN 0 AND 600),
    ADD CONSTRAINT IF NOT EXISTS chk_queues_overflow CHECK (
        IF(overflow_type IN ('queue','department'), overflow_target_id IS NOT NULL,
           overflow_target_id IS NULL)),
    ADD CONSTRAINT IF NOT EXISTS chk_queues_overflow_self CHECK (
        overflow_type IS NULL OR overflow_type <> 'queue' OR overflow_target_id <> id);

-- The reverse lookups of a queue delete ("does another queue overflow to this one?") and of
-- a schedule delete later.
CREATE INDEX IF NOT EXISTS idx_queues_tenant_overflow ON queues (tenant_id, overflow_target_id);
CREATE INDEX IF NOT EXISTS idx_queues_tenant_schedule ON queues (tenant_id, schedule_id);

ALTER TABLE queues
    ADD CONSTRAINT fk_queues_schedule FOREIGN KEY IF NOT EXISTS (tenant_id, schedule_id)
        REFERENCES schedules (tenant_id, id) ON DELETE RESTRICT;

-- Members. The id becomes a prefixed string like every other record's (002 made it an
-- AUTO_INCREMENT, which no one has used: the table had no API); existing ids keep their
-- digits as text.
--
-- position orders the members of a queue for the `linear` strategy, within a penalty (the
-- distributor offers by penalty, then position, then id), as FreeSWITCH mod_callcenter's
-- tier level and position do. A new member is appended after the queue's last (the API
-- computes MAX + 1 with the queue row locked); ties are allowed, the id breaks them, so a
-- member put at a taken position moves no one else.
ALTER TABLE queue_members
    MODIFY COLUMN id VARCHAR(64) NOT NULL,
    ADD COLUMN IF NOT EXISTS position INT NOT NULL DEFAULT 0 AFTER penalty;

ALTER TABLE queue_members
    ADD CONSTRAINT IF NOT EXISTS chk_queue_members_position CHECK (position >= 0),
    ADD CONSTRAINT IF NOT EXISTS chk_queue_members_paused CHECK (
        is_paused = 1 OR (paused_at IS NULL AND paused_reason IS NULL));

-- A queue's members in offering order: the member list and the distributor read it so.
CREATE INDEX IF NOT EXISTS idx_queue_members_queue_order
    ON queue_members (tenant_id, queue_id, penalty, position);
