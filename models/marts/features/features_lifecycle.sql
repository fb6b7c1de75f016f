{{
  config(
    materialized='incremental',
    unique_key='feature_date',
    partition_by=storage_partition_by(['feature_date']),
  )
}}

{#- Recompute the feature dates from (last built - lookback_days) on: late events may have changed them. -#}
{%- set cutoff = incremental_cutoff_date(date_column='feature_date') if is_incremental() else none %}
{#- A play day 28 or more days after the profile's previous one is a reactivation. -#}
{%- set reactivation_date = 'case when ' ~ days_between('previous_play_date', 'event_date')
    ~ ' >= 28 then event_date end' %}

with

feature_dates as (

    select
        profile_id,
        account_id,
        feature_date
    from {{ ref('int_profile_feature_dates') }}
    {% if cutoff is not none -%} where feature_date >= {{ cutoff }} {%- endif %}

),

profiles as (

    select * from {{ ref('stg_gold__profiles') }}

),

accounts as (

    select * from {{ ref('stg_gold__accounts') }}

),

changed_profiles as (

    select distinct profile_id from feature_dates

),

play_days as (

    -- The play days of the profiles being built, each with its previous play day (stored with it); from the
    -- cutoff on, on an incremental run: the history before it enters as one row per profile (earlier_history).
    select
        profile_days.profile_id,
        profile_days.event_date,
        profile_days.watch_seconds,
        profile_days.previous_play_date
    from {{ ref('int_profile_days_aggregated') }} as profile_days
    inner join changed_profiles
        on profile_days.profile_id = changed_profiles.profile_id
    where profile_days.plays > 0 {%- if cutoff is not none %} and profile_days.event_date >= {{ cutoff }} {%- endif %}

),

{%- if cutoff is not none %}

earlier_history as (

    -- Lifetime values are sums, minima and maxima: the play days before the cutoff, which precede every
    -- rebuilt date, add up in one group-by instead of a window over every play day of the history.
    select
        profile_days.profile_id,
        cast(sum(profile_days.watch_seconds) as bigint) as watch_seconds,
        count(*) as active_days,
        min(profile_days.event_date) as first_play_date,
        max(profile_days.event_date) as last_play_date,
        max({{ reactivation_date }}) as reactivation_date
    from {{ ref('int_profile_days_aggregated') }} as profile_days
    inner join changed_profiles
        on profile_days.profile_id = changed_profiles.profile_id
    where profile_days.plays > 0 and profile_days.event_date < {{ cutoff }}
    group by profile_days.profile_id

),

{%- endif %}

timeline as (

    -- Play days and feature dates in one ordered stream per profile, so running totals give each feature
    -- date its lifetime values in one pass (a play on D sorts before the feature row of D).
    select
        profile_id,
        event_date as timeline_date,
        0 as is_feature_row,
        watch_seconds,
        1 as active_days,
        event_date as first_play_date,
        event_date as last_play_date,
        {{ reactivation_date }} as reactivation_date
    from play_days

    {%- if cutoff is not none %}

    union all

    -- Dated by its last play, before the cutoff and so before every rebuilt date.
    select
        profile_id,
        last_play_date as timeline_date,
        0 as is_feature_row,
        watch_seconds,
        active_days,
        first_play_date,
        last_play_date,
        reactivation_date
    from earlier_history

    {%- endif %}

    union all

    select
        profile_id,
        feature_date as timeline_date,
        1 as is_feature_row,
        0 as watch_seconds,
        0 as active_days,
        cast(null as date) as first_play_date,
        cast(null as date) as last_play_date,
        cast(null as date) as reactivation_date
    from feature_dates

),

running as (

    select
        profile_id,
        timeline_date,
        is_feature_row,
        sum(watch_seconds) over profile_history as lifetime_watch_seconds,
        sum(active_days) over profile_history as lifetime_active_days,
        min(first_play_date) over profile_history as first_play_date,
        max(last_play_date) over profile_history as last_play_date,
        max(reactivation_date) over profile_history as last_reactivation_date
    from timeline
    window profile_history as (
        partition by profile_id
        order by timeline_date, is_feature_row
        rows between unbounded preceding and current row
    )

),

anchored as (

    select
        feature_dates.profile_id,
        feature_dates.account_id,
        feature_dates.feature_date,
        profiles.created_date as profile_created_date,
        accounts.signup_date as account_signup_date,
        running.first_play_date,
        running.last_play_date,
        running.last_reactivation_date,
        running.lifetime_watch_seconds,
        running.lifetime_active_days
    from feature_dates
    inner join running
        on feature_dates.profile_id = running.profile_id
            and feature_dates.feature_date = running.timeline_date
            and running.is_feature_row = 1
    inner join profiles
        on feature_dates.profile_id = profiles.profile_id
    left join accounts
        on feature_dates.account_id = accounts.account_id

),

plans as (

    {{ plan_tier_as_of('feature_dates', 'feature_date') }}

),

final as (

    select
        anchored.profile_id,
        {{ lifecycle_day_counts('anchored.feature_date', 'anchored') }},
        {{ seconds_to_minutes('anchored.lifetime_watch_seconds') }} as lifetime_watch_minutes,
        cast(anchored.lifetime_active_days as int) as lifetime_active_days,
        plans.plan_tier,
        anchored.profile_created_date,
        anchored.account_signup_date,
        anchored.first_play_date,
        anchored.last_play_date,
        anchored.last_reactivation_date,
        anchored.feature_date
    from anchored
    left join plans
        on anchored.account_id = plans.account_id
            and anchored.feature_date = plans.feature_date

)

select * from final
