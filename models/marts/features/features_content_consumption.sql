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
    {% if cutoff is not none -%} and event_date >= {{ add_days(cutoff, -27) }} {%- endif %}

),

profile_titles as (

    select * from {{ ref('int_profile_day_titles_aggregated') }}
    where profile_id in (select feature_dates.profile_id from feature_dates)
    {% if cutoff is not none -%} and event_date >= {{ add_days(cutoff, -89) }} {%- endif %}

),

title_plays as (

    -- A title (series) is in the window ending on D while its latest play on or before D is inside it: a play
    -- on day p holds its title from p until the next play of the same title or until it leaves the window,
    -- whichever comes first. Same-day plays of one series hold it once (the earlier ones end on p itself).
    select
        profile_id,
        series_id,
        {{ day_number('event_date') }} as play_day,
        {{ day_number('lead(event_date) over (partition by profile_id, content_id order by event_date)') }}
            as next_title_play_day,
        {{ day_number('lead(event_date) over (partition by profile_id, series_id order by event_date)') }}
            as next_series_play_day
    from profile_titles

),

title_holds as (

    -- +1 on the day a play starts holding its title, -1 on the day it stops: a running sum of these
    -- changes is the windowed distinct count, in time that follows the plays, not plays x window length.
    select
        profile_id,
        play_day as day_number,
        1 as titles_28d_change,
        1 as titles_90d_change,
        case when series_id is not null then 1 else 0 end as series_28d_change
    from title_plays

    union all

    select
        profile_id,
        least(coalesce(next_title_play_day, play_day + 28), play_day + 28) as day_number,
        -1 as titles_28d_change,
        0 as titles_90d_change,
        0 as series_28d_change
    from title_plays

    union all

    select
        profile_id,
        least(coalesce(next_title_play_day, play_day + 90), play_day + 90) as day_number,
        0 as titles_28d_change,
        -1 as titles_90d_change,
        0 as series_28d_change
    from title_plays

    union all

    select
        profile_id,
        least(coalesce(next_series_play_day, play_day + 28), play_day + 28) as day_number,
        0 as titles_28d_change,
        0 as titles_90d_change,
        -1 as series_28d_change
    from title_plays
    where series_id is not null

),

timeline as (

    -- Activity days, title hold changes and feature dates in one stream per profile.
    select
        profile_id,
        cast(null as date) as feature_date,
        {{ day_number('event_date') }} as day_number,
        plays,
        watch_seconds,
        movie_watch_seconds,
        episode_plays,
        case when max_series_episode_plays >= 3 then 1 else 0 end as binge_day,
        new_release_watch_seconds,
        0 as titles_28d_change,
        0 as titles_90d_change,
        0 as series_28d_change
    from profile_days

    union all

    select
        profile_id,
        cast(null as date) as feature_date,
        day_number,
        0 as plays,
        0 as watch_seconds,
        0 as movie_watch_seconds,
        0 as episode_plays,
        0 as binge_day,
        0 as new_release_watch_seconds,
        titles_28d_change,
        titles_90d_change,
        series_28d_change
    from title_holds

    union all

    select
        profile_id,
        feature_date,
        {{ day_number('feature_date') }} as day_number,
        0 as plays,
        0 as watch_seconds,
        0 as movie_watch_seconds,
        0 as episode_plays,
        0 as binge_day,
        0 as new_release_watch_seconds,
        0 as titles_28d_change,
        0 as titles_90d_change,
        0 as series_28d_change
    from feature_dates

),

window_totals as (

    select
        profile_id,
        feature_date,
        sum(plays) over last_28d as plays_28d,
        sum(watch_seconds) over last_28d as watch_seconds_28d,
        sum(movie_watch_seconds) over last_28d as movie_watch_seconds_28d,
        sum(episode_plays) over last_28d as episode_plays_28d,
        sum(binge_day) over last_28d as binge_days_28d,
        max(episode_plays) over last_28d as max_daily_episodes_28d,
        sum(new_release_watch_seconds) over last_28d as new_release_watch_seconds_28d,
        sum(titles_28d_change) over history as distinct_titles_28d,
        sum(titles_90d_change) over history as distinct_titles_90d,
        sum(series_28d_change) over history as distinct_series_28d
    from timeline
    window
        last_28d as {{ trailing_days(28) }},
        history as (partition by profile_id order by day_number range between unbounded preceding and current row)

),

final as (

    select
        profile_id,
        cast(distinct_titles_28d as int) as distinct_titles_28d,
        cast(distinct_titles_90d as int) as distinct_titles_90d,
        cast(distinct_series_28d as int) as distinct_series_28d,
        cast(movie_watch_seconds_28d / nullif(cast(watch_seconds_28d as double), 0) as double)
            as movie_watch_share_28d,
        cast(episode_plays_28d as int) as episode_plays_28d,
        cast(binge_days_28d as int) as binge_days_28d,
        cast(max_daily_episodes_28d as int) as max_daily_episodes_28d,
        cast(new_release_watch_seconds_28d / nullif(cast(watch_seconds_28d as double), 0) as double)
            as new_release_watch_share_28d,
        cast(1 - distinct_titles_28d / nullif(cast(plays_28d as double), 0) as double) as replay_rate_28d,
        feature_date
    from window_totals
    where feature_date is not null

)

select * from final
