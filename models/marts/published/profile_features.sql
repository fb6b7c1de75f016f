{{
  config(
    materialized='incremental',
    unique_key='feature_date',
    partition_by=storage_partition_by(['feature_date']),
    contract={'enforced': true},
    post_hook="{{ write_latest_snapshot() }}",
  )
}}

{#-
  The published feature log (write-audit-publish, step "publish"): one row per profile and feature date on which
  any of its stored values changed (see int_profile_feature_dates). dbt builds it only after every test of
  `profile_features_candidate` and of the quality history has passed, so a failed check leaves it, and
  `profile_features_latest`, exactly as they were. Read "profile P as of D" through `profile_features_latest`
  or the `profile_features_as_of` / `profile_features_point_in_time` macros. On DuckDB the post-hook writes
  profile_features_latest's rows in this model's transaction (macros/features/profile_features_latest_snapshot.sql):
  it reads the live profiles and the plans, hence their refs below.
-#}
-- depends_on: {{ ref('dq_publish_gate_findings') }}
-- depends_on: {{ ref('stg_gold__profiles') }}
-- depends_on: {{ ref('int_account_plans_historized') }}

with

candidate as (

    select * from {{ ref('profile_features_candidate') }}

)

select * from candidate
