{{
  config(
    materialized='incremental',
    unique_key='feature_date',
    partition_by=storage_partition_by(['feature_date']),
  )
}}

{#- Recompute the feature dates from (last built - lookback_days) on: late events may have changed them. -#}
{%- set cutoff = incremental_cutoff_date(date_column='feature_date') if is_incremental() else none %}

with

feature_dates as (

    select
        profile_id,
        feature_date
    from {{ ref('int_profile_feature_dates') }}
    {% if cutoff is not none -%} where feature_date >= {{ cutoff }} {%- endif %}

),

profile_days as (

    select * from {{ ref('int_profile_days_aggregated') }}
    where profile_id in (select feature_dates.profile_id from feature_dates)
    {% if cutoff is not none -%} and event_date >= {{ add_days(cutoff, -89) }} {%- endif %}

),

timeline as (

    -- Activity days and feature dates in one stream per profile (see features_watch_behavior).
    select
        profile_id,
        event_date as timeline_date,
        {{ day_number('event_date') }} as day_number,
        0 as is_feature_row,
        plays,
        completed_plays,
        abandoned_plays,
        completion_ratio_sum,
        thumbs_up,
        thumbs_down,
        list_adds,
        searches
    from profile_days

    union all

    select
        profile_id,
        feature_date as timeline_date,
        {{ day_number('feature_date') }} as day_number,
        1 as is_feature_row,
        0 as plays,
        0 as completed_plays,
        0 as abandoned_plays,
        cast(0 as decimal(38, 15)) as completion_ratio_sum,
        0 as thumbs_up,
        0 as thumbs_down,
        0 as list_adds,
        0 as searches
    from feature_dates

),

window_totals as (

    select
        profile_id,
        timeline_date,
        is_feature_row,
        sum(plays) over last_28d as plays_28d,
        sum(completed_plays) over last_28d as completed_plays_28d,
        sum(abandoned_plays) over last_28d as abandoned_plays_28d,
        sum(completion_ratio_sum) over last_28d as completion_ratio_sum_28d,
        sum(thumbs_up) over last_28d as thumbs_up_28d,
        sum(thumbs_down) over last_28d as thumbs_down_28d,
        sum(thumbs_up) over last_90d as thumbs_up_90d,
        sum(thumbs_down) over last_90d as thumbs_down_90d,
        sum(list_adds) over last_28d as list_adds_28d,
        sum(searches) over last_28d as searches_28d
    from timeline
    window
        last_28d as {{ trailing_days(28) }},
        last_90d as {{ trailing_days(90) }}

),

final as (

    select
        profile_id,
        cast(completed_plays_28d / nullif(cast(plays_28d as double), 0) as double) as completion_rate_28d,
        cast(cast(completion_ratio_sum_28d as double) / nullif(cast(plays_28d as double), 0) as double)
            as avg_completion_ratio_28d,
        cast(abandoned_plays_28d / nullif(cast(plays_28d as double), 0) as double) as abandon_rate_28d,
        cast(thumbs_up_28d as int) as thumbs_up_28d,
        cast(thumbs_down_28d as int) as thumbs_down_28d,
        cast(thumbs_up_90d / nullif(cast(thumbs_up_90d + thumbs_down_90d as double), 0) as double)
            as thumbs_up_ratio_90d,
        cast(list_adds_28d as int) as list_adds_28d,
        cast(searches_28d as int) as searches_28d,
        cast(searches_28d / nullif(cast(plays_28d as double), 0) as double) as searches_per_play_28d,
        timeline_date as feature_date
    from window_totals
    where is_feature_row = 1

)

select * from final
