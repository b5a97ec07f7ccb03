-- The token version of each subscriber, as their newest event told it: the one-click unsubscribe link of
-- an announcement is minted with it, and the registration service refuses a link of an older version (the
-- person revoked their links since). Rows from before are at 0, the version of anyone who never revoked.
ALTER TABLE subscribers ADD COLUMN token_version integer NOT NULL DEFAULT 0;
