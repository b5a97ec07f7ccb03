-- Which sender holds a row in `sending`: the claim id of its process, which that process holds as a
-- session-level advisory lock (see mailer.CLAIM). When the process vanishes, PostgreSQL ends its session
-- and drops the lock, so the next claim takes its rows at once instead of after the lease.
ALTER TABLE deliveries ADD COLUMN claim integer;
