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
        completed_plays,
        abandoned_plays,
        completion_ratio_sum,
        thumbs_up,
        thumbs_down,
        list_adds,
        searches
    from {{ ref('int_profile_days_aggregated') }}
    where {{ in_slice }} {%- if cutoff is not none %} and event_date >= {{ add_days(cutoff, -89) }} {%- endif %}

),

profile_days as (

    {{ days_summed_for_rebuilt_dates(
        'activity_days', 'feature_dates', cutoff,
        {
            'plays': 'bigint', 'completed_plays': 'bigint', 'abandoned_plays': 'bigint',
            'completion_ratio_sum': 'decimal(38, 15)', 'thumbs_up': 'bigint', 'thumbs_down': 'bigint',
            'list_adds': 'bigint', 'searches': 'bigint',
        }
    ) }}

),

days_in_windows as (

    select
        feature_dates.profile_id,
        feature_dates.feature_date,
        profile_days.event_date,
        profile_days.plays,
        profile_days.completed_plays,
        profile_days.abandoned_plays,
        profile_days.completion_ratio_sum,
        profile_days.thumbs_up,
        profile_days.thumbs_down,
        profile_days.list_adds,
        profile_days.searches
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
        coalesce(sum(case when {{ in_last_days(28) }} then plays end), 0) as plays_28d,
        coalesce(sum(case when {{ in_last_days(28) }} then completed_plays end), 0) as completed_plays_28d,
        coalesce(sum(case when {{ in_last_days(28) }} then abandoned_plays end), 0) as abandoned_plays_28d,
        coalesce(sum(case when {{ in_last_days(28) }} then completion_ratio_sum end), 0)
            as completion_ratio_sum_28d,
        coalesce(sum(case when {{ in_last_days(28) }} then thumbs_up end), 0) as thumbs_up_28d,
        coalesce(sum(case when {{ in_last_days(28) }} then thumbs_down end), 0) as thumbs_down_28d,
        coalesce(sum(thumbs_up), 0) as thumbs_up_90d,
        coalesce(sum(thumbs_down), 0) as thumbs_down_90d,
        coalesce(sum(case when {{ in_last_days(28) }} then list_adds end), 0) as list_adds_28d,
        coalesce(sum(case when {{ in_last_days(28) }} then searches end), 0) as searches_28d
    from days_in_windows
    group by profile_id, feature_date

),

final as (

    select
        profile_id,
        cast(completed_plays_28d / nullif(cast(plays_28d as double), 0) as double) as completion_rate_28d,
        cast(cast(completion_ratio_sum_28d as double) / nullif(cast(plays_28d as double), 0) as double)
            as avg_completion_ratio_28d,
        cast(abandoned_plays_28d / nullif(cast(plays_28d as double), 0) as double) as abandon_rate_28d,
        cast(thumbs_up_28d as int) as thumbs_up_28d,
        cast(thumbs_down_28d as int) as thumbs_down_28d,
        cast(thumbs_up_90d / nullif(cast(thumbs_up_90d + thumbs_down_90d as double), 0) as double)
            as thumbs_up_ratio_90d,
        cast(list_adds_28d as int) as list_adds_28d,
        cast(searches_28d as int) as searches_28d,
        cast(searches_28d / nullif(cast(plays_28d as double), 0) as double) as searches_per_play_28d,
        feature_date
    from window_totals

)

select * from final
