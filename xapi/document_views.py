"""The document resources: activities/state, activities/profile, agents/profile."""
