-- Issue 7: the transfer portal's words. A conference transfer is a kind of its own; a call
-- whose transfer connected reads "transferred" in the call logs (the portal's filter), so
-- the calls keep that fact and the status the logs show, indexed like status.
ALTER TABLE call_transfers MODIFY transfer_type ENUM('warm','cold','blind','conference') NOT NULL DEFAULT 'warm';
ALTER TABLE calls ADD COLUMN IF NOT EXISTS transferred TINYINT(1) NOT NULL DEFAULT 0;
ALTER TABLE calls ADD COLUMN IF NOT EXISTS log_status VARCHAR(20)
    AS (IF(transferred, 'transferred', status)) PERSISTENT;
CREATE INDEX IF NOT EXISTS idx_calls_tenant_log_status ON calls (tenant_id, log_status, start_time);
UPDATE calls c SET c.transferred = 1 WHERE EXISTS (SELECT 1 FROM call_transfers t
    WHERE t.tenant_id = c.tenant_id AND t.call_id = c.id AND t.connection_time IS NOT NULL);
