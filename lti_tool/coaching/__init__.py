"""Coaching: a learner's revocable permission for a coach to view (and comment on) their work."""
