-- Issue 10: of each (user, event worker)'s streams, how many are WebSockets, so
-- /api/health/websocket tells SSE from WebSocket across every host (ws_online.c writes
-- both counts together; streams - sockets are SSE streams).
ALTER TABLE stream_presence
    ADD COLUMN IF NOT EXISTS sockets INT UNSIGNED NOT NULL DEFAULT 0 AFTER streams;
