{{
  config(
    materialized='incremental',
    unique_key='feature_date',
    partition_by=storage_partition_by(['feature_date']),
  )
}}

{#-
  The feature log's change set: (profile, feature_date) for every date on which one of the profile's stored
  feature values can change. Only these rows are computed and published; "as of D" reads the latest row <= D
  (see the `profile_features_as_of` macro). A value can change on D only when
    - the profile played or engaged on D - k for a window edge k (today 0, 7, 28, 90): the event enters the
      windows on D and leaves the 7/28/90-day windows on D + 7, D + 28, D + 90. The edges come from the windows
      of the cataloged features (`change_set_window_edges`), so a new window length cannot be forgotten;
    - another profile of the household played on D - k for an edge k of the household features (0, 28);
    - a profile of the household was created or deleted on D (membership), or D is the first date of history.
  Day counts (tenure, days since last play, lifecycle stage, ...) are derived from stored anchor dates at read
  time, so they do not force daily rows for every profile. Dormant profiles therefore cost nothing per day.
-#}
{%- set as_of = feature_as_of_date() %}
{%- set history_start = feature_history_start_date() %}
{%- set cutoff = incremental_cutoff_date(date_column='feature_date') if is_incremental() else none %}
{%- set window_start = cutoff if cutoff is not none else history_start %}
{#- No events at all: build an empty log (typed nulls keep the SQL valid). -#}
{%- set history_start = history_start or 'cast(null as date)' %}
{%- set window_start = window_start or 'cast(null as date)' %}

with

profiles as (

    select
        profile_id,
        account_id,
        created_date,
        deleted_date
    from {{ ref('stg_gold__profiles') }}

),

activity as (

    select
        profile_id,
        event_date
    from {{ ref('int_profile_days_aggregated') }}
    {%- if as_of is not none %}
    where
        event_date <= {{ as_of }}
        and event_date >= {{ add_days(window_start, -(change_set_window_edges() | max)) }}
        -- Only days an edge moves into the run's dates: a daily run reads a few days per edge, not 90.
        and (
            {%- for days_after in change_set_window_edges() %}
                event_date between {{ add_days(window_start, -days_after) }} and {{ add_days(as_of, -days_after) }}
                {%- if not loop.last %} or{% endif %}
            {%- endfor %}
        )
    {%- endif %}

),

window_edges as (

    {%- for days_after in change_set_window_edges() %}
        select {{ days_after }} as days_after
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}

),

own_activity_changes as (

    select
        activity.profile_id,
        {{ add_days('activity.event_date', 'window_edges.days_after') }} as feature_date
    from activity
    cross join window_edges

),

household_activity_changes as (

    select
        member.profile_id,
        {{ add_days('activity.event_date', 'window_edges.days_after') }} as feature_date
    from activity
    inner join profiles as actor
        on activity.profile_id = actor.profile_id
    inner join profiles as member
        on actor.account_id = member.account_id
            and actor.profile_id != member.profile_id
    cross join window_edges
    where window_edges.days_after in ({{ change_set_window_edges(['household_share']) | join(', ') }})

),

membership_events as (

    -- Creation (or the start of history for older profiles) and deletion of profiles inside the run window.
    select
        account_id,
        greatest(created_date, {{ history_start }}) as feature_date
    from profiles
    where greatest(created_date, {{ history_start }}) >= {{ window_start }}

    union all

    select
        account_id,
        deleted_date as feature_date
    from profiles
    where deleted_date >= {{ window_start }}

),

membership_changes as (

    select
        member.profile_id,
        membership_events.feature_date
    from membership_events
    inner join profiles as member
        on membership_events.account_id = member.account_id

),

changes as (

    select
        profile_id,
        feature_date
    from own_activity_changes
    union all
    select
        profile_id,
        feature_date
    from household_activity_changes
    union all
    select
        profile_id,
        feature_date
    from membership_changes

),

final as (

    select distinct
        changes.profile_id,
        profiles.account_id,
        changes.feature_date
    from changes
    inner join profiles
        on changes.profile_id = profiles.profile_id
    where
        {%- if as_of is none %}
            false
        {%- else %}
        changes.feature_date between {{ window_start }} and {{ as_of }}
        -- only while the profile is live (created on or before D, not yet deleted on D)
        and profiles.created_date <= changes.feature_date
        and (profiles.deleted_date is null or profiles.deleted_date > changes.feature_date)
    {%- endif %}

)

select * from final
