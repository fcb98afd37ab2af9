"""State changes, one function each; callers commit once."""
