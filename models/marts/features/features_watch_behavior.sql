{{
  config(
    materialized='incremental',
    unique_key='feature_date',
    partition_by=storage_partition_by(['feature_date']),
  )
}}

{#- Recompute the feature dates from (last built - lookback_days) on: late events may have changed them. -#}
{%- set cutoff = incremental_cutoff_date(date_column='feature_date') if is_incremental() else none %}
{%- set since = 'feature_date >= ' ~ cutoff if cutoff is not none else 'true' %}
{#- A large build runs its join one slice of the profiles at a time (macros/cross_engine/row_slices.sql). -#}
{%- set slices = row_slices(ref('int_profile_feature_dates'), since, var('profile_slice_rows')) %}
{%- set in_slice = row_slice_filter('profile_id', slices) %}

with

feature_dates as (

    select
        profile_id,
        feature_date
    from {{ ref('int_profile_feature_dates') }}
    where {{ since }} and {{ in_slice }}

),

activity_days as (

    select
        profile_id,
        event_date,
        plays,
        case when plays > 0 then 1 else 0 end as active_days,
        watch_seconds,
        weekend_watch_seconds,
        primetime_watch_seconds
    from {{ ref('int_profile_days_aggregated') }}
    where {{ in_slice }} {%- if cutoff is not none %} and event_date >= {{ add_days(cutoff, -89) }} {%- endif %}

),

profile_days as (

    {{ days_summed_for_rebuilt_dates(
        'activity_days', 'feature_dates', cutoff,
        {
            'plays': 'bigint', 'active_days': 'bigint', 'watch_seconds': 'bigint',
            'weekend_watch_seconds': 'bigint', 'primetime_watch_seconds': 'bigint',
        }
    ) }}

),

days_in_windows as (

    -- Each feature date joined to the profile's activity of the 90 days ending on it (on an incremental run, the
    -- days every rebuilt date sees alike summed into one row: days_summed_for_rebuilt_dates).
    select
        feature_dates.profile_id,
        feature_dates.feature_date,
        profile_days.event_date,
        profile_days.plays,
        profile_days.active_days,
        profile_days.watch_seconds,
        profile_days.weekend_watch_seconds,
        profile_days.primetime_watch_seconds
    from feature_dates as feature_dates
    left join profile_days as profile_days
        on feature_dates.profile_id = profile_days.profile_id
            and profile_days.event_date between {{ add_days('feature_dates.feature_date', -89) }}
            and feature_dates.feature_date

),

window_totals as (

    select
        profile_id,
        feature_date,
        coalesce(sum(case when event_date = feature_date then watch_seconds end), 0) as watch_seconds_1d,
        coalesce(sum(case when {{ in_last_days(7) }} then watch_seconds end), 0) as watch_seconds_7d,
        coalesce(sum(case when {{ in_last_days(28) }} then watch_seconds end), 0) as watch_seconds_28d,
        coalesce(sum(watch_seconds), 0) as watch_seconds_90d,
        coalesce(sum(case when {{ in_last_days(7) }} then plays end), 0) as plays_7d,
        coalesce(sum(case when {{ in_last_days(28) }} then plays end), 0) as plays_28d,
        coalesce(sum(case when {{ in_last_days(7) }} then active_days end), 0) as active_days_7d,
        coalesce(sum(case when {{ in_last_days(28) }} then active_days end), 0) as active_days_28d,
        coalesce(sum(case when {{ in_last_days(28) }} then weekend_watch_seconds end), 0)
            as weekend_watch_seconds_28d,
        coalesce(sum(case when {{ in_last_days(28) }} then primetime_watch_seconds end), 0)
            as primetime_watch_seconds_28d
    from days_in_windows
    group by profile_id, feature_date

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
        feature_date
    from window_totals

)

select * from final
