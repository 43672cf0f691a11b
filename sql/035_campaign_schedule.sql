-- Issue 11: a campaign may follow a schedule (its holidays, its weekly hours) on top of
-- its own calling hours: a dial is allowed only when both are open. RESTRICT: a schedule in
-- use by a campaign is not deleted (409), as for a phone number or a queue.
ALTER TABLE campaigns
    ADD COLUMN schedule_id VARCHAR(64) NULL AFTER time_zone,
    ADD CONSTRAINT fk_campaigns_schedule FOREIGN KEY (tenant_id, schedule_id)
        REFERENCES schedules (tenant_id, id) ON DELETE RESTRICT;
