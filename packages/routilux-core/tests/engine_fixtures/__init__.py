"""Plugin modules used by the engine tests (imported through fake entry points)."""
