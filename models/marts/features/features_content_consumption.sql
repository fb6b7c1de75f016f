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
    {% if cutoff is not none -%} where event_date >= {{ add_days(cutoff, -89) }} {%- endif %}

),

profile_titles as (

    select * from {{ ref('int_profile_day_titles_aggregated') }}
    {% if cutoff is not none -%} where event_date >= {{ add_days(cutoff, -89) }} {%- endif %}

),

day_totals as (

    select
        feature_dates.profile_id,
        feature_dates.feature_date,
        coalesce(sum(profile_days.plays), 0) as plays_28d,
        coalesce(sum(profile_days.watch_seconds), 0) as watch_seconds_28d,
        coalesce(sum(profile_days.movie_watch_seconds), 0) as movie_watch_seconds_28d,
        coalesce(sum(profile_days.episode_plays), 0) as episode_plays_28d,
        count(case when profile_days.max_series_episode_plays >= 3 then profile_days.event_date end) as binge_days_28d,
        coalesce(max(profile_days.episode_plays), 0) as max_daily_episodes_28d,
        coalesce(sum(profile_days.new_release_watch_seconds), 0) as new_release_watch_seconds_28d
    from feature_dates
    left join profile_days
        on feature_dates.profile_id = profile_days.profile_id
            and profile_days.event_date between {{ add_days('feature_dates.feature_date', -27) }}
            and feature_dates.feature_date
    group by feature_dates.profile_id, feature_dates.feature_date

),

title_totals as (

    select
        feature_dates.profile_id,
        feature_dates.feature_date,
        count(distinct case
            when {{ in_last_days(28, 'profile_titles.event_date', 'feature_dates.feature_date') }}
                then profile_titles.content_id
        end) as distinct_titles_28d,
        count(distinct profile_titles.content_id) as distinct_titles_90d,
        count(distinct case
            when {{ in_last_days(28, 'profile_titles.event_date', 'feature_dates.feature_date') }}
                then profile_titles.series_id
        end) as distinct_series_28d
    from feature_dates
    left join profile_titles
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
    from day_totals
    inner join title_totals
        on day_totals.profile_id = title_totals.profile_id
            and day_totals.feature_date = title_totals.feature_date

)

select * from final
