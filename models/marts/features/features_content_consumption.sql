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
{#- A large build runs its joins one slice of the profiles at a time (1 slice on daily runs and small builds;
    macros/cross_engine/row_slices.sql): at 1,000,000 profiles one join spilled ~20 GB and took 4x as long. -#}
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

profile_days as (

    select * from {{ ref('int_profile_days_aggregated') }}
    where {{ in_slice }} {%- if cutoff is not none %} and event_date >= {{ add_days(cutoff, -27) }} {%- endif %}

),

profile_titles as (

    select * from {{ ref('int_profile_day_titles_aggregated') }}
    where {{ in_slice }} {%- if cutoff is not none %} and event_date >= {{ add_days(cutoff, -89) }} {%- endif %}

),

day_totals as (

    select
        feature_dates.profile_id,
        feature_dates.feature_date,
        coalesce(sum(profile_days.plays), 0) as plays_28d,
        coalesce(sum(profile_days.watch_seconds), 0) as watch_seconds_28d,
        coalesce(sum(profile_days.movie_watch_seconds), 0) as movie_watch_seconds_28d,
        coalesce(sum(profile_days.episode_plays), 0) as episode_plays_28d,
        count(case when profile_days.max_series_episode_plays >= 3 then profile_days.event_date end)
            as binge_days_28d,
        coalesce(max(profile_days.episode_plays), 0) as max_daily_episodes_28d,
        coalesce(sum(profile_days.new_release_watch_seconds), 0) as new_release_watch_seconds_28d
    from feature_dates as feature_dates
    left join profile_days as profile_days
        on feature_dates.profile_id = profile_days.profile_id
            and profile_days.event_date between {{ add_days('feature_dates.feature_date', -27) }}
            and feature_dates.feature_date
    group by feature_dates.profile_id, feature_dates.feature_date

),

title_plays as (

    -- A title (series) is in a window ending on D when its latest play on or before D is inside the window:
    -- a play counts on D only if the next play of the same title (series) comes after D. That turns the
    -- windowed distinct counts into plain counts over the same window join, without hashing every title.
    select
        profile_id,
        event_date,
        series_id,
        lead(event_date) over (partition by profile_id, content_id order by event_date) as next_title_play_date,
        lead(event_date) over (partition by profile_id, series_id order by event_date) as next_series_play_date
    from profile_titles

),

title_totals as (

    select
        feature_dates.profile_id,
        feature_dates.feature_date,
        count(case
            when {{ in_last_days(28, 'title_plays.event_date', 'feature_dates.feature_date') }}
                and {{ is_latest_play_on('title_plays.next_title_play_date', 'feature_dates.feature_date') }}
                then 1
        end) as distinct_titles_28d,
        count(case
            when title_plays.event_date is not null
                and {{ is_latest_play_on('title_plays.next_title_play_date', 'feature_dates.feature_date') }}
                then 1
        end) as distinct_titles_90d,
        count(case
            when {{ in_last_days(28, 'title_plays.event_date', 'feature_dates.feature_date') }}
                and title_plays.series_id is not null
                and {{ is_latest_play_on('title_plays.next_series_play_date', 'feature_dates.feature_date') }}
                then 1
        end) as distinct_series_28d
    from feature_dates as feature_dates
    left join title_plays as title_plays
        on feature_dates.profile_id = title_plays.profile_id
            and title_plays.event_date between {{ add_days('feature_dates.feature_date', -89) }}
            and feature_dates.feature_date
    group by feature_dates.profile_id, feature_dates.feature_date

),

final as (

    select
        day_totals.profile_id,
        cast(title_totals.distinct_titles_28d as int) as distinct_titles_28d,
        cast(title_totals.distinct_titles_90d as int) as distinct_titles_90d,
        cast(title_totals.distinct_series_28d as int) as distinct_series_28d,
        cast(day_totals.movie_watch_seconds_28d / nullif(cast(day_totals.watch_seconds_28d as double), 0) as double)
            as movie_watch_share_28d,
        cast(day_totals.episode_plays_28d as int) as episode_plays_28d,
        cast(day_totals.binge_days_28d as int) as binge_days_28d,
        cast(day_totals.max_daily_episodes_28d as int) as max_daily_episodes_28d,
        cast(
            day_totals.new_release_watch_seconds_28d / nullif(cast(day_totals.watch_seconds_28d as double), 0)
            as double
        ) as new_release_watch_share_28d,
        cast(1 - title_totals.distinct_titles_28d / nullif(cast(day_totals.plays_28d as double), 0) as double)
            as replay_rate_28d,
        day_totals.feature_date
    from day_totals as day_totals
    inner join title_totals as title_totals
        on day_totals.profile_id = title_totals.profile_id
            and day_totals.feature_date = title_totals.feature_date

)

select * from final
