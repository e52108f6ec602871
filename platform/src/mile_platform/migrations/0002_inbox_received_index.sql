-- Claims older than MILE_INBOX_RETENTION_DAYS are dropped (mile_platform.retention). A BRIN index
-- finds them: claims are appended in time order, so each range of pages spans a short time, and
-- unlike a B-tree it costs a claim nothing (only summarised ranges, behind the newest, are updated).
CREATE INDEX mile_inbox_received ON mile_inbox USING brin (received_at);
