-- A migration applied. Input: the schema version it brings.
INSERT INTO schema_version VALUES (?, now())
