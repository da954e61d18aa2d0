-- Comments on every table, view and column an analyst queries, readable in
-- the database itself (`SELECT comment FROM duckdb_tables()`, or
-- `duckdb_columns()`). Applied with the views (views.sql), whenever either
-- file changes. docs/schema.md says the same with example queries.

COMMENT ON TABLE runs IS 'Une ligne par exécution : run, reimport ou tâche planifiée (kind), avec son issue (outcome : ok, rows_rejected, file_rejected, failed) et ses comptes.';
COMMENT ON COLUMN runs.id IS 'Numéro de l''exécution.';
COMMENT ON COLUMN runs.kind IS 'run, reimport, ou le nom de la tâche planifiée.';
COMMENT ON COLUMN runs.started_at IS 'Début (UTC).';
COMMENT ON COLUMN runs.finished_at IS 'Fin (UTC) ; vide si l''exécution a été interrompue.';
COMMENT ON COLUMN runs.outcome IS 'ok, rows_rejected, file_rejected ou failed.';
COMMENT ON COLUMN runs.files_new IS 'Fichiers jamais reçus auparavant.';
COMMENT ON COLUMN runs.rows_accepted IS 'Lignes acceptées dans les nouveaux fichiers.';
COMMENT ON COLUMN runs.rows_rejected IS 'Lignes rejetées dans les nouveaux fichiers.';

COMMENT ON TABLE files IS 'Chaque fichier reçu, une fois par contenu (sha256), avec son verdict. Le fichier d''origine est gardé dans data/archive (archive_path) jusqu''à purged_at.';
COMMENT ON COLUMN files.sha256 IS 'Empreinte SHA-256 du contenu : identifie le fichier.';
COMMENT ON COLUMN files.file_no IS 'Numéro du fichier, donné dans l''ordre de chargement, jamais réutilisé : les lignes de job_seekers, companies et professionals le portent (file_no).';
COMMENT ON COLUMN files.name IS 'Nom du fichier tel que reçu.';
COMMENT ON COLUMN files.structure IS 'Code de la structure (ref_structures.code), lu dans le nom ou la feuille Structure.';
COMMENT ON COLUMN files.innovation IS 'Code de l''innovation déclarée par le fichier.';
COMMENT ON COLUMN files.period IS 'Trimestre couvert (AAAA-Tn).';
COMMENT ON COLUMN files.period_end IS 'Dernier jour du trimestre.';
COMMENT ON COLUMN files.received_at IS 'Première fois qu''essaim a vu ces octets (début de l''exécution, UTC).';
COMMENT ON COLUMN files.verdict IS 'accepted, rows_rejected (accepté avec des lignes rejetées) ou file_rejected (refusé en entier).';
COMMENT ON COLUMN files.reason IS 'Pourquoi le fichier a été refusé (en français).';
COMMENT ON COLUMN files.rows_read IS 'Lignes lues = acceptées + rejetées.';
COMMENT ON COLUMN files.rejections_omitted IS 'Rejets comptés au-delà de ceux gardés dans rejections ([limits] max_rejections).';

COMMENT ON TABLE rejections IS 'Chaque ligne rejetée : feuille, ligne et colonne comme dans le tableur, et le motif. La valeur d''une colonne d''identité est remplacée par ***.';
COMMENT ON COLUMN rejections.sha256 IS 'Le fichier (files.sha256).';
COMMENT ON COLUMN rejections.row_number IS 'Numéro de ligne dans le tableur.';
COMMENT ON COLUMN rejections.col IS 'Lettre de colonne.';
COMMENT ON COLUMN rejections.reason IS 'Motif du rejet, en français.';

COMMENT ON TABLE job_seekers IS 'Les lignes acceptées des feuilles Demandeurs d''emploi. Aucune identité : seulement les numéros de leurs empreintes HMAC (id_no, name_no ; identity_keys). Les figures ne lisent que les lignes des fichiers courants (current_job_seekers).';
COMMENT ON COLUMN job_seekers.file_no IS 'Le fichier (files.file_no).';
COMMENT ON COLUMN job_seekers.id_no IS 'Numéro (identity_keys.key_no) de l''empreinte HMAC-SHA256 de l''identifiant France Travail (jamais l''identifiant lui-même).';
COMMENT ON COLUMN job_seekers.name_no IS 'Numéro (identity_keys.key_no) de l''empreinte HMAC-SHA256 du nom, du prénom et de la date de naissance.';
COMMENT ON COLUMN job_seekers.entry IS 'Date d''entrée dans le dispositif.';
COMMENT ON COLUMN job_seekers.unemployment_months IS 'Durée de chômage à l''entrée, en mois (DELD : 12 et plus, macro is_deld).';
COMMENT ON COLUMN job_seekers.situation IS 'Situation à la sortie, ou En cours.';
COMMENT ON COLUMN job_seekers.is_exit IS 'Sorti du dispositif.';
COMMENT ON COLUMN job_seekers.is_employment IS 'Sorti en emploi (CDI, CDD de 6 mois et plus, intérim, création d''entreprise).';

COMMENT ON TABLE companies IS 'Les lignes acceptées des feuilles Entreprises (entreprises et partenaires privés).';
COMMENT ON COLUMN companies.file_no IS 'Le fichier (files.file_no).';
COMMENT ON COLUMN companies.siren IS 'SIREN (9 chiffres) : une entreprise est comptée une fois par SIREN.';
COMMENT ON COLUMN companies.siret IS 'SIRET (14 chiffres) quand il est connu.';
COMMENT ON COLUMN companies.counts_as_company IS 'Compte comme entreprise ou partenaire privé.';

COMMENT ON TABLE professionals IS 'Les lignes acceptées des feuilles Professionnels : une empreinte HMAC par professionnel (nom, prénom, organisme), jamais les noms.';
COMMENT ON COLUMN professionals.file_no IS 'Le fichier (files.file_no).';
COMMENT ON COLUMN professionals.key IS 'HMAC-SHA256 du nom, du prénom et de l''organisme.';

COMMENT ON TABLE persons IS 'Personnes : les empreintes (identity_keys.key_no) reliées par une même ligne forment une personne, numérotée par sa plus petite clé.';
COMMENT ON TABLE identity_keys IS 'Numéro de chaque empreinte d''identité HMAC-SHA256 (key_no), attribué à la première rencontre.';
COMMENT ON COLUMN identity_keys.k1 IS 'Octets 1 à 8 de l''empreinte HMAC-SHA256, en entier big-endian (k2 : 9 à 16, k3 : 17 à 24, k4 : 25 à 32).';

COMMENT ON TABLE indicator_values IS 'Les chiffres de chaque recalcul (run_id), bruts : les petits effectifs n''y sont pas masqués. Ne publiez que ce que publie essaim export.';
COMMENT ON COLUMN indicator_values.run_id IS 'Exécution qui a recalculé les chiffres.';
COMMENT ON COLUMN indicator_values.computed_at IS 'Moment du calcul (UTC).';
COMMENT ON COLUMN indicator_values.indicator IS 'Code de l''indicateur (src/indicators/sql/<code>.sql).';
COMMENT ON COLUMN indicator_values.scope_kind IS 'Périmètre : national, innovation, departement, structure, period, innovation_period, departement_period, departement_innovation, duration, innovation_duration, departement_duration.';
COMMENT ON COLUMN indicator_values.scope IS 'Code du périmètre ; deux codes joints par | pour un croisement (TAPAJ|2019-T2).';
COMMENT ON COLUMN indicator_values.value IS 'Valeur : un nombre, ou un taux entre 0 et 1.';
COMMENT ON COLUMN indicator_values.people IS 'Nombre de personnes couvertes (pour le secret statistique) ; vide si ce n''est pas un effectif de personnes.';
COMMENT ON TABLE indicator_leaves IS 'Pour chaque recalcul, les couples structure × trimestre dont les effectifs s''additionnent : ce que protège le masquage des petits effectifs.';

COMMENT ON TABLE ref_innovations IS 'Les innovations du registre (config/innovations.csv), recopiées à chaque recalcul.';
COMMENT ON TABLE ref_structures IS 'Les structures du registre (config/structures.csv), recopiées à chaque recalcul.';
COMMENT ON TABLE messages IS 'Chaque courriel composé (synthèse, retour aux structures, alerte) et son état d''envoi (pending, sending, sent, failed) ; le message est dans data/messages.';
COMMENT ON TABLE digests IS 'Chaque synthèse composée et les chiffres qu''elle montrait.';
COMMENT ON TABLE reimports IS 'Les réimports demandés par les opérateurs, avec leur motif.';
COMMENT ON TABLE inbox_skipped IS 'Ce que la boîte de réception contenait et qui n''a pas pu être lu (liens, sous-dossiers, fichiers illisibles), par exécution.';
COMMENT ON TABLE sightings IS 'Première fois qu''essaim a vu chaque entrée de la boîte de réception.';
COMMENT ON TABLE inbox_seen IS 'Ce que la boîte de réception contenait au dernier passage (pour reconnaître un fichier inchangé sans le relire).';
COMMENT ON TABLE file_tables IS 'Les tables (demandeurs, entreprises, professionnels) que porte chaque fichier.';
COMMENT ON TABLE meta IS 'Faits sur la base : identifiant, empreinte de la clé d''identité.';
COMMENT ON TABLE state IS 'Compteur de l''état chargé ; les chiffres sont à jour quand indicators_version = version.';
COMMENT ON TABLE schema_version IS 'Versions du schéma appliquées.';

COMMENT ON VIEW current_tables IS 'Pour chaque structure, trimestre et table, le fichier courant : le dernier reçu qui n''est pas refusé en entier.';
COMMENT ON VIEW current_files IS 'Les fichiers courants, avec l''innovation et le département de leur structure (registre).';
COMMENT ON VIEW file_scopes IS 'Chaque périmètre où compte un fichier courant (national, innovation, département, structure, trimestre et leurs croisements).';
COMMENT ON VIEW seeker_scopes IS 'file_scopes, plus chaque structure × trimestre (structure_period), jamais publié : pour le secret statistique.';
COMMENT ON VIEW current_files_scoped IS 'current_files, une ligne par périmètre (file_scopes).';
COMMENT ON VIEW current_job_seekers IS 'Les demandeurs d''emploi des fichiers courants, avec leur structure, leur trimestre et leur personne (person_id).';
COMMENT ON VIEW current_companies IS 'Les entreprises des fichiers courants.';
COMMENT ON VIEW current_companies_scoped IS 'current_companies, une ligne par périmètre.';
COMMENT ON VIEW current_professionals IS 'Les professionnels des fichiers courants.';
COMMENT ON VIEW current_professionals_scoped IS 'current_professionals, une ligne par périmètre.';
COMMENT ON VIEW current_seeker_cells IS 'Les couples structure × trimestre des fichiers courants qui portent des demandeurs d''emploi.';
