-- End of a recomputation: its temporary tables dropped, the figures marked as reflecting the loaded state.
DROP TABLE latest; DROP TABLE seeker_files; DROP TABLE scopes;
DROP TABLE temp.current_files_scoped;
UPDATE state SET indicators_version = version;
