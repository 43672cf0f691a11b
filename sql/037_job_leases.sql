-- Issue 13: a job that must run in one process of the whole cluster at a time (webhook and
-- SMS delivery: switchboard-hooks) holds a lease: its row names the holder until
-- expires_at, the holder renews it, another process takes it once it has expired
-- (src/core/lease.c). On Galera two takes on two nodes conflict at commit: one wins.
CREATE TABLE IF NOT EXISTS job_leases (
    name VARCHAR(64) NOT NULL,
    holder VARCHAR(160) NOT NULL,
    expires_at DATETIME(3) NOT NULL,
    taken_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    PRIMARY KEY (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_as_ci;
