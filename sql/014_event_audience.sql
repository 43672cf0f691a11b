-- Issue 9: an event may concern one reader only. audience is NULL for the tenant's staff
-- (every stream of the tenant, as before), 'user:<user id>' for one user's streams (a
-- notification), 'chat:<chat session id>' for one chat visitor's socket and the staff.
-- The event worker filters on it; the feed stays one table in commit order.
ALTER TABLE call_events
    ADD COLUMN IF NOT EXISTS audience VARCHAR(96) NULL AFTER type;
