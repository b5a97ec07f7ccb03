-- A forum's programme: its agenda (items at local times of day) and its documents (titled https links),
-- each a JSON list the organisers replace whole.
ALTER TABLE forums
    ADD COLUMN agenda jsonb NOT NULL DEFAULT '[]',
    ADD COLUMN documents jsonb NOT NULL DEFAULT '[]';
