"""Compare stage: match extracted records against the published catalog (create, update, unchanged, delete, reject)."""
