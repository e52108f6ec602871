-- Claims older than MILE_INBOX_RETENTION_DAYS are dropped (mile_platform.retention) through this
-- index. A B-tree: claims are added at its right edge, as received_at only grows; a BRIN index
-- would cost a claim nothing but stops telling old pages from new once purged pages are reused.
-- Building it holds off claims: consumers pause, longer the more claims the table holds.
CREATE INDEX mile_inbox_received ON mile_inbox (received_at);
