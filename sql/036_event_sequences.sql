-- Issue 13, the event feed on several database nodes. Galera gives each node its own
-- auto-increment offset, so call_events.id is neither dense nor in commit order there.
-- Each event also takes its tenant's next sequence number, just before its transaction
-- commits (src/core/event_seq.c): a tenant's event-writing transactions meet at that row,
-- so within a tenant seq order is commit order and there are no holes (a rollback takes
-- its numbers back). Readers can then deliver seq n + 1 as soon as it is visible.
CREATE TABLE IF NOT EXISTS event_sequences (
    tenant_id VARCHAR(64) NOT NULL,
    last_seq BIGINT UNSIGNED NOT NULL DEFAULT 0,
    updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
    PRIMARY KEY (tenant_id),
    KEY idx_event_sequences_updated (updated_at),
    CONSTRAINT fk_event_sequences_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_as_ci;

ALTER TABLE call_events
    ADD COLUMN IF NOT EXISTS seq BIGINT UNSIGNED NULL AFTER tenant_id,
    ADD UNIQUE KEY IF NOT EXISTS uq_call_events_tenant_seq (tenant_id, seq);

-- The events written so far are numbered in id order (one node wrote them).
INSERT IGNORE INTO event_sequences (tenant_id, last_seq) SELECT id, 0 FROM tenants;
UPDATE call_events e JOIN (SELECT id, ROW_NUMBER() OVER (PARTITION BY tenant_id ORDER BY id) AS n FROM call_events WHERE seq IS NULL) x ON x.id = e.id SET e.seq = x.n;
UPDATE event_sequences s SET s.last_seq = (SELECT COALESCE(MAX(e.seq), 0) FROM call_events e WHERE e.tenant_id = s.tenant_id);

-- A tenant's row exists from its creation, so the first events of a new tenant written at
-- once do not race to insert it.
CREATE TRIGGER IF NOT EXISTS trg_tenants_event_sequence AFTER INSERT ON tenants FOR EACH ROW INSERT IGNORE INTO event_sequences (tenant_id, last_seq) VALUES (NEW.id, 0);
