{{
  config(
    materialized='incremental',
    unique_key='feature_date',
    partition_by=storage_partition_by(['feature_date']),
  )
}}

{#-
  Households (accounts with live profiles) as of the newest built feature date, by size: how many, how many of
  their profiles are kids profiles, how many members watched in the last 28 days, and how the household's
  viewing splits across members (the top viewer's share of the household's 28-day watch time). Each run adds
  the newest date.
-#}

with

latest as (

    select * from {{ ref('profile_features_latest') }}

),

households as (

    select
        account_id,
        count(*) as household_profiles,
        sum(case when is_kids_profile then 1 else 0 end) as kids_profiles,
        max(household_active_profiles_28d) as active_profiles_28d,
        max(household_watch_share_28d) as top_viewer_share_28d,
        max(feature_date) as feature_date
    from latest
    group by account_id

),

final as (

    select
        feature_date,
        cast(household_profiles as int) as household_profiles,
        cast(count(*) as bigint) as households,
        cast(sum(household_profiles) as bigint) as profiles,
        cast(sum(kids_profiles) as bigint) as kids_profiles,
        cast(sum(kids_profiles) as double) / sum(household_profiles) as kids_profile_share,
        cast(sum(case when active_profiles_28d = 0 then 1 else 0 end) as bigint) as households_without_viewing_28d,
        cast(sum(case when active_profiles_28d = 1 then 1 else 0 end) as bigint) as households_with_one_viewer_28d,
        avg(cast(active_profiles_28d as double)) as mean_active_profiles_28d,
        avg(top_viewer_share_28d) as mean_top_viewer_share_28d
    from households
    group by feature_date, household_profiles

)

select * from final
