-- Issue 8, occupancy: the time each agent was logged in and not on a break (presence
-- available or away), per 15-minute bucket, kept in the same transaction as the presence
-- change that closes the interval (agent_state.c), so that occupancy over any window is
-- (talk + wrap-up) / staffed time from the buckets, never from the history.
ALTER TABLE kpi_agent_buckets
    ADD COLUMN IF NOT EXISTS staffed_ms BIGINT UNSIGNED NOT NULL DEFAULT 0 AFTER wrapup_sum;
