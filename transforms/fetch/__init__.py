"""Extract stage: fetch sources (HTTP or disk, behind the address guard) and split them into one row per record."""
