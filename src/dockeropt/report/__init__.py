"""Reports: unified diff with reasons, JSON (and, later, review formats)."""
