"""The editor's media and audio libraries: uploads, stock entries, AI results, favorites."""
