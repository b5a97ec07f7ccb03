-- The first person waiting in each stakeholder group, read at every promotion step: one index probe per
-- group, instead of a sort of the whole waiting list (or, for a group nobody of which waits, a walk of it).
CREATE INDEX registrations_waitlist_by_group ON registrations (forum_id, stakeholder_group, waitlist_position)
    WHERE status = 'waitlisted';
