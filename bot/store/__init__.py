"""State shared by every replica, in Redis; each user of it keeps a local fallback."""
