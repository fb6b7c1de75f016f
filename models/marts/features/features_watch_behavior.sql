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

    -- Activity days and feature dates in one stream per profile: trailing RANGE frames over it give each
    -- feature date its window sums in time that follows the rows, not rows x window length.
    select
        profile_id,
        event_date as timeline_date,
        {{ day_number('event_date') }} as day_number,
        0 as is_feature_row,
        plays,
        watch_seconds,
        case when plays > 0 then 1 else 0 end as active_day,
        weekend_watch_seconds,
        primetime_watch_seconds
    from profile_days

    union all

    select
        profile_id,
        feature_date as timeline_date,
        {{ day_number('feature_date') }} as day_number,
        1 as is_feature_row,
        0 as plays,
        0 as watch_seconds,
        0 as active_day,
        0 as weekend_watch_seconds,
        0 as primetime_watch_seconds
    from feature_dates

),

window_totals as (

    select
        profile_id,
        timeline_date,
        is_feature_row,
        sum(watch_seconds) over last_1d as watch_seconds_1d,
        sum(watch_seconds) over last_7d as watch_seconds_7d,
        sum(watch_seconds) over last_28d as watch_seconds_28d,
        sum(watch_seconds) over last_90d as watch_seconds_90d,
        sum(plays) over last_7d as plays_7d,
        sum(plays) over last_28d as plays_28d,
        sum(active_day) over last_7d as active_days_7d,
        sum(active_day) over last_28d as active_days_28d,
        sum(weekend_watch_seconds) over last_28d as weekend_watch_seconds_28d,
        sum(primetime_watch_seconds) over last_28d as primetime_watch_seconds_28d
    from timeline
    window
        last_1d as {{ trailing_days(1) }},
        last_7d as {{ trailing_days(7) }},
        last_28d as {{ trailing_days(28) }},
        last_90d as {{ trailing_days(90) }}

),

final as (

    select
        profile_id,
        {{ seconds_to_minutes('watch_seconds_1d') }} as watch_minutes_1d,
        {{ seconds_to_minutes('watch_seconds_7d') }} as watch_minutes_7d,
        {{ seconds_to_minutes('watch_seconds_28d') }} as watch_minutes_28d,
        {{ seconds_to_minutes('watch_seconds_90d') }} as watch_minutes_90d,
        cast(plays_7d as int) as plays_7d,
        cast(plays_28d as int) as plays_28d,
        cast(active_days_7d as int) as active_days_7d,
        cast(active_days_28d as int) as active_days_28d,
        {{ seconds_to_minutes('watch_seconds_28d') }} / nullif(plays_28d, 0) as avg_play_minutes_28d,
        cast(weekend_watch_seconds_28d / nullif(cast(watch_seconds_28d as double), 0) as double)
            as weekend_watch_share_28d,
        cast(primetime_watch_seconds_28d / nullif(cast(watch_seconds_28d as double), 0) as double)
            as primetime_watch_share_28d,
        {{ seconds_to_minutes('watch_seconds_7d') }} / nullif({{ seconds_to_minutes('watch_seconds_28d') }} / 4, 0)
            as watch_trend_7d_vs_28d,
        timeline_date as feature_date
    from window_totals
    where is_feature_row = 1

)

select * from final
