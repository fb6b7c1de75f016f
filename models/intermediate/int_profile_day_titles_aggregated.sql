{{
  config(
    materialized='incremental',
    unique_key='event_date',
    partition_by=storage_partition_by(['event_date']),
  )
}}

{#- Same window as int_profile_days_aggregated: the dates staging may have corrected. -#}
{%- set cutoff = incremental_cutoff_date() if is_incremental() else none %}
{#- A previous play counts only inside the longest window of the distinct counts that read it. -#}
{%- set previous_play_window_days = 90 %}
{%- set in_window = in_last_days(previous_play_window_days, 'stored.event_date', cutoff)
    if cutoff is not none else none %}

with

plays as (

    select * from {{ ref('stg_gold__viewing_events') }}
    {% if cutoff is not none -%} where event_date >= {{ cutoff }} {%- endif %}

),

content as (

    select * from {{ ref('stg_gold__content') }}

),

title_days as (

    select
        plays.profile_id,
        plays.content_id,
        content.series_id,
        content.genre,
        cast(count(*) as int) as plays,
        cast(sum(plays.watch_seconds) as bigint) as watch_seconds,
        plays.event_date
    from plays
    inner join content
        on plays.content_id = content.content_id
    group by plays.profile_id, plays.content_id, content.series_id, content.genre, plays.event_date

),

{# The latest earlier play before the cutoff of each title (series) played since it: on an incremental run
    the stored plays of the rebuilt titles only, from the window ending on the cutoff; none on a full build. #}
earlier_title_plays as (

    {{ stored_date_before_cutoff(['profile_id', 'content_id'], 'title_days', cutoff, where=in_window) }}

),

earlier_series_plays as (

    {{ stored_date_before_cutoff(['profile_id', 'series_id'], 'title_days', cutoff, where=in_window) }}

),

previous_plays as (

    select
        title_days.*,
        coalesce(
            lag(title_days.event_date) over (
                partition by title_days.profile_id, title_days.content_id order by title_days.event_date
            ),
            earlier_title_plays.previous_play_date
        ) as any_previous_title_play_date,
        -- Two episodes of a series on one day: ordered by title, so only the first can open a window.
        coalesce(
            lag(title_days.event_date) over (
                partition by title_days.profile_id, title_days.series_id
                order by title_days.event_date, title_days.content_id
            ),
            earlier_series_plays.previous_play_date
        ) as any_previous_series_play_date
    from title_days
    left join earlier_title_plays
        on title_days.profile_id = earlier_title_plays.profile_id
            and title_days.content_id = earlier_title_plays.content_id
    left join earlier_series_plays
        on title_days.profile_id = earlier_series_plays.profile_id
            and title_days.series_id = earlier_series_plays.series_id

),

final as (

    select
        profile_id,
        content_id,
        series_id,
        genre,
        plays,
        watch_seconds,
        case
            when {{ in_last_days(previous_play_window_days, 'any_previous_title_play_date', 'event_date') }}
                then any_previous_title_play_date
        end as previous_title_play_date,
        case
            when series_id is not null
                and {{ in_last_days(previous_play_window_days, 'any_previous_series_play_date', 'event_date') }}
                then any_previous_series_play_date
        end as previous_series_play_date,
        '{{ invocation_id }}' as run_id,
        event_date
    from previous_plays

)

select * from final
