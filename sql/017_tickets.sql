-- Issue 9: tickets as the helpdesk needs them.
-- number: 1, 2, 3… per tenant, what people say on the phone ("ticket 42"); allocated from
-- ticket_counters, whose row the creating transaction locks, so two creates never share a
-- number and a rolled-back one leaves no gap behind the next commit's. Tickets from before
-- this migration keep a NULL number.
-- queue_id: the team a ticket is given to (a queue's members see it in /tickets/my while
-- nobody in particular has it). No FK: deleting a queue must not be refused by old tickets;
-- a ticket whose queue is gone is simply nobody's team's.
-- first_response_due_at and due_at come from the tenant's SLA for the priority
-- (ticket_sla, defaults in ticket_store.c); *_breached_at records the breach once, so the
-- clock's phase (tick.c) finds each breach exactly once by its index.
ALTER TABLE tickets
    ADD COLUMN IF NOT EXISTS number INT UNSIGNED NULL AFTER tenant_id,
    ADD COLUMN IF NOT EXISTS queue_id VARCHAR(64) NULL AFTER assigned_to,
    ADD COLUMN IF NOT EXISTS requester_name VARCHAR(255) NULL AFTER contact_id,
    ADD COLUMN IF NOT EXISTS requester_email VARCHAR(255) NULL AFTER requester_name,
    ADD COLUMN IF NOT EXISTS first_response_due_at DATETIME NULL AFTER due_at,
    ADD COLUMN IF NOT EXISTS first_response_breached_at DATETIME NULL AFTER first_response_at,
    ADD COLUMN IF NOT EXISTS resolution_breached_at DATETIME NULL AFTER first_response_breached_at;
CREATE UNIQUE INDEX IF NOT EXISTS uq_tickets_tenant_number ON tickets (tenant_id, number);
CREATE INDEX IF NOT EXISTS idx_tickets_tenant_queue ON tickets (tenant_id, queue_id, assigned_to);
-- The clock's two SELECTs over all tenants: not yet breached, not yet answered/resolved, due.
CREATE INDEX IF NOT EXISTS idx_tickets_first_response_due ON tickets (first_response_breached_at, first_response_at, first_response_due_at);
CREATE INDEX IF NOT EXISTS idx_tickets_resolution_due ON tickets (resolution_breached_at, resolved_at, due_at);
CREATE INDEX IF NOT EXISTS idx_tickets_tenant_due ON tickets (tenant_id, due_at);
CREATE INDEX IF NOT EXISTS idx_tickets_tenant_resolved ON tickets (tenant_id, resolved_at);
CREATE FULLTEXT INDEX IF NOT EXISTS ft_tickets_text ON tickets (subject, description);
CREATE FULLTEXT INDEX IF NOT EXISTS ft_ticket_messages_body ON ticket_messages (body);
CREATE TABLE IF NOT EXISTS ticket_counters (
    tenant_id VARCHAR(64) NOT NULL,
    last_number INT UNSIGNED NOT NULL,
    PRIMARY KEY (tenant_id),
    CONSTRAINT fk_ticket_counters_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_as_ci;
-- A tenant's targets per priority, in minutes; a priority without a row takes the defaults.
CREATE TABLE IF NOT EXISTS ticket_sla (
    tenant_id VARCHAR(64) NOT NULL,
    priority ENUM('low','normal','high','urgent') NOT NULL,
    first_response_minutes INT UNSIGNED NOT NULL,
    resolution_minutes INT UNSIGNED NOT NULL,
    updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    PRIMARY KEY (tenant_id, priority),
    CONSTRAINT chk_ticket_sla_minutes CHECK (first_response_minutes BETWEEN 1 AND 525600 AND resolution_minutes BETWEEN 1 AND 525600),
    CONSTRAINT fk_ticket_sla_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_as_ci;
