-- The database's random id, made once. Input: id.
INSERT INTO meta VALUES ('database_id', ?) ON CONFLICT DO NOTHING
