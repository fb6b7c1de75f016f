{#
  Point-in-time read of the feature log: for every distinct (profile_id, <date_column>) pair in `requests`,
  the profile's features as of the end of that date, computed only from data up to it (no leakage).

  How: take the profile's latest `profile_features` row dated <= D (nothing stored changes between two rows),
  then re-derive the values that move with the calendar alone (tenures, days since first/last play, lifecycle
  stage, reactivation flag, and watch_minutes_1d, which is 0 on any day without a row of its own) and the plan
  valid on D. Profiles not live on D return no row. The result equals
  a full recomputation of D. Output: the profile_features columns with feature_date = D, plus
  `source_feature_date` (the date of the stored row used).

  Usage:  {{ profile_features_point_in_time(ref('my_labels'), 'label_date') }}
  `log` is the feature log to read (default: ref('profile_features')).
  `newest_rows`, when given, holds each profile's newest log row (profile_features_latest_snapshot): read instead
  of searching the log, valid only for dates on or after the log's newest date.
#}
{% macro profile_features_point_in_time(requests, date_column='as_of_date', log=none, newest_rows=none) %}
{%- set derived = ['profile_tenure_days', 'account_tenure_days', 'days_since_last_play', 'days_since_first_play',
                   'lifecycle_stage', 'is_reactivated_7d', 'plan_tier'] -%}
{%- set log = log or ref('profile_features') -%}
{%- set profiles = ref('stg_gold__profiles') -%}
{%- set columns = published_model_node().columns.keys() | list if execute else [] -%}
    with

    pit_pairs as (

        select distinct
            profile_id,
            cast({{ date_column }} as date) as as_of_date
        from {{ requests }}

    ),

    pit_live as (

        select pit_pairs.*
        from pit_pairs
        inner join {{ profiles }} as profiles
            on pit_pairs.profile_id = profiles.profile_id
        where
            profiles.created_date <= pit_pairs.as_of_date
            and (profiles.deleted_date is null or profiles.deleted_date > pit_pairs.as_of_date)

    ),

    {%- if newest_rows is not none %}

    pit_latest as (

        -- distinct, as the grouped search below: a profile the staging lists twice still gets one row
        select
            live.as_of_date,
            stored.*
        from (select distinct profile_id, as_of_date from pit_live) as live
        inner join {{ newest_rows }} as stored
            on live.profile_id = stored.profile_id

    ),
    {%- else %}

    pit_source_dates as (

        -- The newest stored row on or before each date: a grouped max, then one lookup of that row (sorting
        -- every wide log row per profile would cost far more on a big log).
        select
            pit_live.profile_id,
            pit_live.as_of_date,
            max(stored.feature_date) as source_feature_date
        from pit_live
        inner join {{ log }} as stored
            on pit_live.profile_id = stored.profile_id
            and stored.feature_date <= pit_live.as_of_date
        group by pit_live.profile_id, pit_live.as_of_date

    ),

    pit_latest as (

        select
            pit_source_dates.as_of_date,
            stored.*
        from pit_source_dates
        inner join {{ log }} as stored
            on pit_source_dates.profile_id = stored.profile_id
            and pit_source_dates.source_feature_date = stored.feature_date

    ),
    {%- endif %}

    pit_day_counts as (

        select
            profile_id,
            as_of_date,
            {{ lifecycle_day_counts('as_of_date') }}
        from pit_latest

    ),

    pit_plans as (

        {{ plan_tier_as_of('pit_latest', 'as_of_date') }}

    )

    select
    {%- for column in columns %}
        {%- if column == 'feature_date' %}
        pit_latest.as_of_date as feature_date,
        {%- elif column == 'watch_minutes_1d' %}
        case when pit_latest.feature_date = pit_latest.as_of_date then pit_latest.watch_minutes_1d else 0 end
            as watch_minutes_1d,
        {%- elif column == 'plan_tier' %}
        pit_plans.plan_tier,
        {%- elif column in derived %}
        pit_day_counts.{{ column }},
        {%- else %}
        pit_latest.{{ column }},
        {%- endif %}
    {%- endfor %}
        pit_latest.feature_date as source_feature_date
    from pit_latest
    inner join pit_day_counts
        on pit_latest.profile_id = pit_day_counts.profile_id
        and pit_latest.as_of_date = pit_day_counts.as_of_date
    left join pit_plans
        on pit_latest.account_id = pit_plans.account_id
        and pit_latest.as_of_date = pit_plans.as_of_date
{% endmacro %}

{#
  Every live profile's features as of one date (a SQL date expression), e.g.
  {{ profile_features_as_of("cast('2026-10-01' as date)") }}
#}
{% macro profile_features_as_of(as_of_date, log=none, newest_rows=none) %}
{%- set requests -%}
(select profile_id, {{ as_of_date }} as as_of_date from {{ ref('stg_gold__profiles') }})
{%- endset -%}
{{ profile_features_point_in_time(requests, 'as_of_date', log, newest_rows) }}
{% endmacro %}
