-- The organisers' emailed sign-in links to the console (console_links.py): one row per link sent, named by
-- the sha256 of its token (the token itself is only in the email), kept until it expires. A link is spent
-- once: used_at is set in the transaction that hands its address to the gateway, under the row's lock.
CREATE TABLE console_links (
    digest      text PRIMARY KEY,
    email       text NOT NULL,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);
CREATE INDEX console_links_expiry ON console_links (expires_at);
