-- Version 7: identity keys as four 64-bit integers (the HMAC's 32 bytes,
-- big-endian, in order) instead of 64 hexadecimal characters. Half the
-- bytes to log and copy as keys are loaded, and DuckDB compresses integers
-- in a fifth of the time it spent on that text at each checkpoint.
CREATE TABLE identity_keys_v7 (
    k1 UBIGINT NOT NULL,
    k2 UBIGINT NOT NULL,
    k3 UBIGINT NOT NULL,
    k4 UBIGINT NOT NULL,
    key_no BIGINT NOT NULL
);
INSERT INTO identity_keys_v7
SELECT ('0x' || key[1:16])::UBIGINT, ('0x' || key[17:32])::UBIGINT,
       ('0x' || key[33:48])::UBIGINT, ('0x' || key[49:64])::UBIGINT, key_no
FROM identity_keys
ORDER BY key_no;
DROP TABLE identity_keys;
ALTER TABLE identity_keys_v7 RENAME TO identity_keys;
