{{ config(materialized='table') }}

{#-
  Write-audit-publish, step "write": the feature rows this run would publish, assembled from the six category
  marts for every feature date from (newest published date - lookback_days) on; all dates on a first build or
  --full-refresh. The publish-gating tests run on this table; `profile_features` is only replaced when they pass.
  Read through adapter.get_relation, not ref: the published table is downstream of this one.
-#}
{%- set published = adapter.get_relation(database=this.database, schema=this.schema, identifier='profile_features')
    if execute else none %}
{%- set cutoff = incremental_cutoff_date(published, 'feature_date')
    if published is not none and not flags.FULL_REFRESH else none %}

with

feature_dates as (

    select * from {{ ref('int_profile_feature_dates') }}
    {% if cutoff is not none -%} where feature_date >= {{ cutoff }} {%- endif %}

),

watch_behavior as (select * from {{ ref('features_watch_behavior') }}),

content_consumption as (select * from {{ ref('features_content_consumption') }}),

engagement_quality as (select * from {{ ref('features_engagement_quality') }}),

affinity as (select * from {{ ref('features_affinity') }}),

lifecycle as (select * from {{ ref('features_lifecycle') }}),

household_share as (select * from {{ ref('features_household_share') }}),

final as (

    select
        feature_dates.profile_id,
        feature_dates.account_id,
        '{{ var("feature_contract_version") }}' as feature_contract_version,
        watch_behavior.watch_minutes_1d,
        watch_behavior.watch_minutes_7d,
        watch_behavior.watch_minutes_28d,
        watch_behavior.watch_minutes_90d,
        watch_behavior.plays_7d,
        watch_behavior.plays_28d,
        watch_behavior.active_days_7d,
        watch_behavior.active_days_28d,
        watch_behavior.avg_play_minutes_28d,
        watch_behavior.weekend_watch_share_28d,
        watch_behavior.primetime_watch_share_28d,
        watch_behavior.watch_trend_7d_vs_28d,
        content_consumption.distinct_titles_28d,
        content_consumption.distinct_titles_90d,
        content_consumption.distinct_series_28d,
        content_consumption.movie_watch_share_28d,
        content_consumption.episode_plays_28d,
        content_consumption.binge_days_28d,
        content_consumption.max_daily_episodes_28d,
        content_consumption.new_release_watch_share_28d,
        content_consumption.replay_rate_28d,
        engagement_quality.completion_rate_28d,
        engagement_quality.avg_completion_ratio_28d,
        engagement_quality.abandon_rate_28d,
        engagement_quality.thumbs_up_28d,
        engagement_quality.thumbs_down_28d,
        engagement_quality.thumbs_up_ratio_90d,
        engagement_quality.list_adds_28d,
        engagement_quality.searches_28d,
        engagement_quality.searches_per_play_28d,
        affinity.top_genre_28d,
        affinity.top_genre_share_28d,
        affinity.genre_entropy_28d,
        affinity.distinct_genres_28d,
        affinity.top_genre_90d,
        affinity.primary_device_28d,
        affinity.distinct_devices_28d,
        affinity.genre_share_action_90d,
        affinity.genre_share_comedy_90d,
        affinity.genre_share_documentary_90d,
        affinity.genre_share_drama_90d,
        affinity.genre_share_horror_90d,
        affinity.genre_share_kids_90d,
        affinity.genre_share_romance_90d,
        affinity.genre_share_scifi_90d,
        lifecycle.profile_tenure_days,
        lifecycle.account_tenure_days,
        lifecycle.days_since_last_play,
        lifecycle.days_since_first_play,
        lifecycle.lifetime_watch_minutes,
        lifecycle.lifetime_active_days,
        lifecycle.plan_tier,
        lifecycle.lifecycle_stage,
        lifecycle.is_reactivated_7d,
        household_share.household_profiles,
        household_share.household_active_profiles_28d,
        household_share.household_watch_share_28d,
        household_share.is_household_top_viewer_28d,
        household_share.household_title_overlap_28d,
        household_share.household_genre_similarity_28d,
        household_share.household_shared_days_28d,
        household_share.is_kids_profile,
        lifecycle.profile_created_date,
        lifecycle.account_signup_date,
        lifecycle.first_play_date,
        lifecycle.last_play_date,
        lifecycle.last_reactivation_date,
        feature_dates.feature_date
    from feature_dates
    {%- for category in ['watch_behavior', 'content_consumption', 'engagement_quality', 'affinity', 'lifecycle',
        'household_share'] %}
    inner join {{ category }}
        on feature_dates.profile_id = {{ category }}.profile_id
            and feature_dates.feature_date = {{ category }}.feature_date
    {%- endfor %}

)

select * from final
