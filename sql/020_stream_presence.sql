-- Issue 9: who has a live event stream (SSE or WebSocket), for /ws/users/:userId/online.
-- One row per (user, event worker): each worker counts its own streams of the user and
-- refreshes seen_at while it holds any, so the rows of a worker that died stop counting
-- once seen_at is older than the worker's refresh period allows (ws_online.c). Kept in
-- MariaDB, not in one process, so every worker of every host answers the same.
CREATE TABLE IF NOT EXISTS stream_presence (
    tenant_id VARCHAR(64) NOT NULL,
    user_id VARCHAR(64) NOT NULL,
    worker VARCHAR(128) NOT NULL,
    streams INT UNSIGNED NOT NULL DEFAULT 0,
    seen_at DATETIME(3) NOT NULL,
    PRIMARY KEY (tenant_id, user_id, worker),
    KEY idx_stream_presence_worker (worker),
    CONSTRAINT fk_stream_presence_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_as_ci;
