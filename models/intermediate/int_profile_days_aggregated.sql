{{
  config(
    materialized='incremental',
    unique_key='event_date',
    partition_by=storage_partition_by(['event_date']),
  )
}}

{#- Re-aggregate the event dates staging may have corrected (late arrivals within `lookback_days`). -#}
{%- set cutoff = incremental_cutoff_date() if is_incremental() else none %}

with

plays as (

    select * from {{ ref('stg_gold__viewing_events') }}
    {% if cutoff is not none -%} where event_date >= {{ cutoff }} {%- endif %}

),

engagement as (

    select * from {{ ref('stg_gold__engagement_events') }}
    {% if cutoff is not none -%} where event_date >= {{ cutoff }} {%- endif %}

),

content as (

    select * from {{ ref('stg_gold__content') }}

),

plays_enriched as (

    select
        plays.profile_id,
        plays.event_date,
        plays.watch_seconds,
        content.series_id,
        content.content_type = 'episode' as is_episode,
        hour(plays.event_ts) between 18 and 22 as is_primetime,
        {{ days_between('content.release_date', 'plays.event_date') }} between 0 and 30 as is_new_release,
        least(plays.watch_seconds / nullif(cast(content.duration_seconds as double), 0), cast(1 as double))
            as completion_ratio
    from plays
    inner join content
        on plays.content_id = content.content_id

),

series_episodes as (

    -- Episode plays per series and day: a day with >= 3 of one series is a binge day.
    select
        profile_id,
        event_date,
        max(episode_plays) as max_series_episode_plays
    from (
        select
            profile_id,
            event_date,
            series_id,
            count(*) as episode_plays
        from plays_enriched
        where is_episode
        group by profile_id, event_date, series_id
    ) as per_series
    group by profile_id, event_date

),

play_days as (

    select
        profile_id,
        event_date,
        count(*) as plays,
        sum(watch_seconds) as watch_seconds,
        sum(case when {{ is_weekend('event_date') }} then watch_seconds else 0 end) as weekend_watch_seconds,
        sum(case when is_primetime then watch_seconds else 0 end) as primetime_watch_seconds,
        sum(case when not is_episode then watch_seconds else 0 end) as movie_watch_seconds,
        sum(case when is_episode then 1 else 0 end) as episode_plays,
        sum(case when is_new_release then watch_seconds else 0 end) as new_release_watch_seconds,
        sum(case when completion_ratio >= 0.9 then 1 else 0 end) as completed_plays,
        sum(case when completion_ratio < 0.1 then 1 else 0 end) as abandoned_plays,
        -- Exact decimal sum: a double sum depends on summation order, which varies between parallel runs.
        sum(cast(completion_ratio as decimal(38, 15))) as completion_ratio_sum
    from plays_enriched
    group by profile_id, event_date

),

engagement_days as (

    select
        profile_id,
        event_date,
        sum(case when event_type = 'thumbs_up' then 1 else 0 end) as thumbs_up,
        sum(case when event_type = 'thumbs_down' then 1 else 0 end) as thumbs_down,
        sum(case when event_type = 'add_to_list' then 1 else 0 end) as list_adds,
        sum(case when event_type = 'search' then 1 else 0 end) as searches
    from engagement
    group by profile_id, event_date

),

{# The latest play day before the cutoff of each profile played since it (lifecycle's reactivations): on an
    incremental run the stored play days of the profiles played since the cutoff; none on a full build. #}
earlier_play_days as (

    {{ stored_date_before_cutoff(['profile_id'], 'play_days', cutoff, where='stored.plays > 0') }}

),

previous_play_days as (

    select
        play_days.profile_id,
        play_days.event_date,
        coalesce(
            lag(play_days.event_date) over (partition by play_days.profile_id order by play_days.event_date),
            earlier_play_days.previous_play_date
        ) as previous_play_date
    from play_days
    left join earlier_play_days
        on play_days.profile_id = earlier_play_days.profile_id

),

profile_days as (

    select
        profile_id,
        event_date
    from play_days
    union
    select
        profile_id,
        event_date
    from engagement_days

),

final as (

    select
        profile_days.profile_id,
        cast(coalesce(play_days.plays, 0) as int) as plays,
        cast(coalesce(play_days.watch_seconds, 0) as bigint) as watch_seconds,
        cast(coalesce(play_days.weekend_watch_seconds, 0) as bigint) as weekend_watch_seconds,
        cast(coalesce(play_days.primetime_watch_seconds, 0) as bigint) as primetime_watch_seconds,
        cast(coalesce(play_days.movie_watch_seconds, 0) as bigint) as movie_watch_seconds,
        cast(coalesce(play_days.episode_plays, 0) as int) as episode_plays,
        cast(coalesce(series_episodes.max_series_episode_plays, 0) as int) as max_series_episode_plays,
        cast(coalesce(play_days.new_release_watch_seconds, 0) as bigint) as new_release_watch_seconds,
        cast(coalesce(play_days.completed_plays, 0) as int) as completed_plays,
        cast(coalesce(play_days.abandoned_plays, 0) as int) as abandoned_plays,
        cast(coalesce(play_days.completion_ratio_sum, 0) as decimal(38, 15)) as completion_ratio_sum,
        cast(coalesce(engagement_days.thumbs_up, 0) as int) as thumbs_up,
        cast(coalesce(engagement_days.thumbs_down, 0) as int) as thumbs_down,
        cast(coalesce(engagement_days.list_adds, 0) as int) as list_adds,
        cast(coalesce(engagement_days.searches, 0) as int) as searches,
        previous_play_days.previous_play_date,
        '{{ invocation_id }}' as run_id,
        profile_days.event_date
    from profile_days
    left join play_days
        on profile_days.profile_id = play_days.profile_id and profile_days.event_date = play_days.event_date
    left join previous_play_days
        on profile_days.profile_id = previous_play_days.profile_id
            and profile_days.event_date = previous_play_days.event_date
    left join series_episodes
        on profile_days.profile_id = series_episodes.profile_id
            and profile_days.event_date = series_episodes.event_date
    left join engagement_days
        on profile_days.profile_id = engagement_days.profile_id
            and profile_days.event_date = engagement_days.event_date

)

select * from final
