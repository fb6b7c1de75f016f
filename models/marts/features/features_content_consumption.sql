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

title_days_read as (

    select
        profile_id,
        event_date,
        previous_title_play_date,
        series_id is not null as is_episode,
        previous_series_play_date
    from {{ ref('int_profile_day_titles_aggregated') }}
    where {{ in_slice }} {%- if cutoff is not none %} and event_date >= {{ add_days(cutoff, -89) }} {%- endif %}

),

profile_titles as (

    {%- if cutoff is none %}
        select
            *,
            1 as title_days
        from title_days_read
    {%- else %}
        {#- An incremental run: title-days that every rebuilt date counts alike (their day and previous plays in
            the same classes, rebuilt_dates_classes.sql) become one row with their number, so each rebuilt date
            is joined to a few rows per profile instead of every title-day of its 90 days. #}
        select
            profile_id,
            event_date,
            previous_title_play_date,
            is_episode,
            previous_series_play_date,
            count(*) as title_days
        from (
            select
                profile_id,
                is_episode,
                {{ rebuilt_dates_day_class('event_date', 'feature_dates', cutoff) }} as event_date,
                {{ rebuilt_dates_previous_play_class('previous_title_play_date', [28, 90], 'feature_dates', cutoff) }}
                    as previous_title_play_date,
                {{ rebuilt_dates_previous_play_class('previous_series_play_date', [28], 'feature_dates', cutoff) }}
                    as previous_series_play_date
            from title_days_read
        ) as classified
        group by profile_id, event_date, previous_title_play_date, is_episode, previous_series_play_date
    {%- endif %}

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

title_totals as (

    -- A title (series) counts once in a window: on its first play inside the window, the one whose previous
    -- play of the same title (series) is older than the window's first day or absent. Stored with each play
    -- (`int_profile_day_titles_aggregated`), this turns the windowed distinct counts into plain counts over
    -- the same window join, without hashing every title.
    select
        feature_dates.profile_id,
        feature_dates.feature_date,
        coalesce(sum(case
            when {{ in_last_days(28, 'profile_titles.event_date', 'feature_dates.feature_date') }}
                and {{ is_first_play_in_window(
                    'profile_titles.previous_title_play_date', 28, 'feature_dates.feature_date'
                ) }}
                then profile_titles.title_days
        end), 0) as distinct_titles_28d,
        coalesce(sum(case
            when profile_titles.event_date is not null
                and {{ is_first_play_in_window(
                    'profile_titles.previous_title_play_date', 90, 'feature_dates.feature_date'
                ) }}
                then profile_titles.title_days
        end), 0) as distinct_titles_90d,
        coalesce(sum(case
            when {{ in_last_days(28, 'profile_titles.event_date', 'feature_dates.feature_date') }}
                and profile_titles.is_episode
                and {{ is_first_play_in_window(
                    'profile_titles.previous_series_play_date', 28, 'feature_dates.feature_date'
                ) }}
                then profile_titles.title_days
        end), 0) as distinct_series_28d
    from feature_dates as feature_dates
    left join profile_titles as profile_titles
        on feature_dates.profile_id = profile_titles.profile_id
            and profile_titles.event_date between {{ add_days('feature_dates.feature_date', -89) }}
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
