-- Schema version 3: time comes from essaim, not from the sender; the
-- database knows its own identity and the fingerprint of its hash key;
-- what the inbox held that could not be read is recorded.

-- `received_at` is from now on when essaim first saw the bytes (the start
-- of the run that first listed them, see `sightings`). `mtime_hint` is the
-- file's modification time, never later than `received_at`: it only orders
-- files first seen in the same run. Files loaded before keep their times.
ALTER TABLE files ADD COLUMN mtime_hint TIMESTAMP;
UPDATE files SET mtime_hint = received_at;
-- Rejections counted beyond those kept (`[limits] max_rejections`).
ALTER TABLE files ADD COLUMN rejections_omitted INTEGER DEFAULT 0;

-- When each inbox entry (path, size, change time) was first listed: a file
-- listed by a run that was killed keeps that run's time when a later run
-- loads it.
CREATE TABLE IF NOT EXISTS sightings (
    path VARCHAR NOT NULL,
    size BIGINT NOT NULL,
    stamp TIMESTAMP NOT NULL,         -- the entry's change time (ctime)
    first_seen TIMESTAMP NOT NULL,
    PRIMARY KEY (path, size, stamp)
);

-- Inbox entries passed over: links, FIFOs, unreadable entries and folders.
CREATE TABLE IF NOT EXISTS inbox_skipped (
    run_id BIGINT NOT NULL,
    path VARCHAR NOT NULL,
    reason VARCHAR NOT NULL,
    seen_at TIMESTAMP NOT NULL
);

-- Facts about the database itself: `database_id` (random, made once, part
-- of every Message-ID so that ids never repeat after a database is lost)
-- and `key_fingerprint` (an HMAC of a fixed text under the hash key).
CREATE TABLE IF NOT EXISTS meta (
    key VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
);

-- The inbox ledger now keys entries by change time, which a sender cannot
-- set: entries recorded by modification time are read again once (repeats
-- change nothing).
DELETE FROM inbox_seen;

-- The registries as of the last recomputation (rewritten by each), which
-- the views join: created here rather than by the program, like every
-- other table. Earlier binaries created them at every open.
CREATE TABLE IF NOT EXISTS ref_innovations (
    code VARCHAR PRIMARY KEY,
    name VARCHAR,
    phase VARCHAR
);
CREATE TABLE IF NOT EXISTS ref_structures (
    code VARCHAR PRIMARY KEY,
    name VARCHAR,
    innovation VARCHAR,
    departement VARCHAR
);

-- The loaded-state counter's one row (the indicators remember which
-- version of the loaded data they reflect).
INSERT INTO state SELECT 1, 0, 0 WHERE NOT EXISTS (SELECT 1 FROM state);
