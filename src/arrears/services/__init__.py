"""Use cases: one function per thing a user does. Each owns its transaction through a unit of work."""
