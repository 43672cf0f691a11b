-- Issue 11: voicemail boxes, and the box of each voicemail message (002's table).
-- A box belongs to a user, a queue or a department of the tenant (owner_type, owner_id:
--   no FK, its table depends on the type; the routes hold it to the tenant). Its owner(s)
--   are told of each new message: the user, the queue's members, the department's agents
--   that are users. max_message_seconds is what the telephony side records at most.
CREATE TABLE IF NOT EXISTS voicemail_boxes (
    id VARCHAR(64) NOT NULL,
    tenant_id VARCHAR(64) NOT NULL,
    name VARCHAR(255) NOT NULL,
    owner_type ENUM('user','queue','department') NOT NULL,
    owner_id VARCHAR(64) NOT NULL,
    greeting TEXT NULL,
    email_notify TINYINT(1) NOT NULL DEFAULT 0,
    max_message_seconds INT NOT NULL DEFAULT 120,
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    PRIMARY KEY (id),
    UNIQUE KEY uq_voicemail_boxes_tenant_id (tenant_id, id),
    UNIQUE KEY uq_voicemail_boxes_tenant_name (tenant_id, name),
    KEY idx_voicemail_boxes_owner (tenant_id, owner_type, owner_id),
    CONSTRAINT chk_voicemail_boxes_seconds CHECK (max_message_seconds BETWEEN 1 AND 3600),
    CONSTRAINT fk_voicemail_boxes_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_as_ci;

-- box_id: the box a message is in (mailbox keeps the box id too, for 002's indexes).
--   CASCADE only so that deleting a tenant never trips on the order of its cascades: the
--   route refuses to delete a box that still has messages (409).
-- recording_sid, remote_url: Twilio's RecordingSid and RecordingUrl from its recording
--   callback; as for recordings (024) the audio is not fetched, file_path stays '' until a
--   file is placed under recordings_dir (then nginx serves it, with Range).
-- forwarded_from_id: the message this one is a copy of (same audio file); no FK, the
--   original may be deleted first (its file then stays while a copy names it).
ALTER TABLE voicemail_messages
    ADD COLUMN IF NOT EXISTS box_id VARCHAR(64) NULL AFTER mailbox,
    ADD COLUMN IF NOT EXISTS recording_sid VARCHAR(64) NULL AFTER call_sid,
    ADD COLUMN IF NOT EXISTS remote_url VARCHAR(1024) NULL AFTER file_path,
    ADD COLUMN IF NOT EXISTS forwarded_from_id VARCHAR(64) NULL AFTER remote_url;
CREATE INDEX IF NOT EXISTS idx_voicemail_messages_tenant_box ON voicemail_messages (tenant_id, box_id, status, created_at);
CREATE INDEX IF NOT EXISTS idx_voicemail_messages_tenant_file ON voicemail_messages (tenant_id, file_path(191));
ALTER TABLE voicemail_messages
    ADD CONSTRAINT fk_voicemail_messages_box FOREIGN KEY IF NOT EXISTS (tenant_id, box_id)
        REFERENCES voicemail_boxes (tenant_id, id) ON DELETE CASCADE;
