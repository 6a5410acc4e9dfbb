-- An SMS send to a solicitation campaign's targets (M5 audience `campaign`; AS4): which campaign
-- of AfterSales it went to.
ALTER TABLE sms_send ADD COLUMN campaign_id uuid;
