-- End of a recomputation: its temporary tables dropped, the figures marked as reflecting the loaded state.
DROP VIEW latest; DROP TABLE latest_cells; DROP TABLE seeker_files; DROP TABLE scopes;
DROP TABLE temp.current_files_scoped; DROP TABLE temp.current_files; DROP TABLE temp.current_tables;
UPDATE state SET indicators_version = version;
