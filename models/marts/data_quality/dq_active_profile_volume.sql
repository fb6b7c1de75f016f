{{
  config(
    materialized='incremental',
    unique_key='feature_date',
    partition_by=storage_partition_by(['feature_date']),
  )
}}

{#-
  Profiles active (watch time > 0) on each candidate feature date against the average of the 7 preceding dates.
  Every active profile has a feature-log row on that date, so the candidate counts them all. A sudden drop
  (lost events, a broken join) fails the publish gate; thresholds in var `active_profile_ratio`.
-#}
{%- set first_candidate_date = first_date_in(ref('profile_features_candidate')) %}
{%- set limits = var('active_profile_ratio') %}

with

candidate_days as (

    select
        feature_date,
        count(case when watch_minutes_1d > 0 then profile_id end) as active_profiles,
        1 as is_candidate
    from {{ ref('profile_features_candidate') }}
    group by feature_date

),

previous_days as (

    select
        feature_date,
        active_profiles,
        0 as is_candidate
    from {{ preceding_published_dates('candidate_days', first_candidate_date) }}

),

compared as (

    select
        feature_date,
        active_profiles,
        is_candidate,
        avg(active_profiles) over (
            order by feature_date rows between 7 preceding and 1 preceding
        ) as reference_active_profiles
    from (
        select
            feature_date,
            active_profiles,
            is_candidate
        from candidate_days
        union all
        select
            feature_date,
            active_profiles,
            is_candidate
        from previous_days
    ) as timeline

),

final as (

    select
        cast(active_profiles as bigint) as active_profiles,
        reference_active_profiles,
        active_profiles / nullif(reference_active_profiles, 0) as active_profile_ratio,
        case
            when reference_active_profiles < {{ var('drift_min_rows') }} then 'ok'
            when active_profiles / nullif(reference_active_profiles, 0) < {{ limits.error_below }}
                or active_profiles / nullif(reference_active_profiles, 0) > {{ limits.error_above }} then 'error'
            when active_profiles / nullif(reference_active_profiles, 0) < {{ limits.warn_below }}
                or active_profiles / nullif(reference_active_profiles, 0) > {{ limits.warn_above }} then 'warn'
            else 'ok'
        end as volume_status,
        feature_date
    from compared
    where is_candidate = 1

)

select * from final
