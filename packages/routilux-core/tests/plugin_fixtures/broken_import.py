"""A plugin whose module cannot be imported."""

raise RuntimeError("fixture plugin exploded at import")
