{{ config(materialized='view') }}

{#-
  Every live profile with its features as of the newest published feature date; the `profile_features_as_of`
  macro gives the same for any other date. On DuckDB a view over the rows the publish wrote in its own transaction
  (so they change together with the log, and reading them does not re-read the log); on Spark and Databricks the
  as-of read of the log itself (macros/features/profile_features_latest_snapshot.sql).
-#}
{{ profile_features_latest_rows(ref('profile_features')) }}
