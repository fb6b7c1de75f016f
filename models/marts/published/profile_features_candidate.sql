{{ config(materialized='table') }}

{#-
  Write-audit-publish, step "write": the feature rows this run would publish, assembled from the six category
  marts for every feature date from (newest published date - lookback_days) on; all dates on a first build or
  --full-refresh. The publish-gating tests run on this table; `profile_features` is only replaced when they pass.
  The feature columns follow profile_features' contract (rendered from the feature catalog), each selected from
  its category's mart: adding a feature edits no select list.
  Read through adapter.get_relation, not ref: the published table is downstream of this one.
-#}
{%- set published = adapter.get_relation(database=this.database, schema=this.schema, identifier='profile_features')
    if execute else none %}
{%- set cutoff = incremental_cutoff_date(published, 'feature_date')
    if published is not none and not flags.FULL_REFRESH else none %}

{%- set since = 'feature_date >= ' ~ cutoff if cutoff is not none else 'true' %}
{%- set slices = row_slices(ref('int_profile_feature_dates'), since, var('profile_slice_rows')) %}
{%- set categories = ['watch_behavior', 'content_consumption', 'engagement_quality', 'affinity', 'lifecycle',
    'household_share'] %}

{#- A large build joins one slice of the profiles at a time (1 slice on daily runs and small builds:
    macros/cross_engine/row_slices.sql). -#}
{%- set in_slice = row_slice_filter('profile_id', slices) %}

with

feature_dates as (

    select * from {{ ref('int_profile_feature_dates') }}
    where {{ since }} and {{ in_slice }}

),

{% for category in categories -%}
    {{ category }} as (

        select * from {{ ref('features_' ~ category) }}
        where {{ in_slice }}

    ),

{% endfor -%}
final as (

    select
        feature_dates.profile_id,
        feature_dates.account_id,
        '{{ var("feature_contract_version") }}' as feature_contract_version,
        {%- for column in published_feature_columns() %}
            {{ column.category }}.{{ column.name }},
        {%- endfor %}
        feature_dates.feature_date
    from feature_dates
    {%- for category in categories %}
    inner join {{ category }}
        on feature_dates.profile_id = {{ category }}.profile_id
            and feature_dates.feature_date = {{ category }}.feature_date
    {%- endfor %}

)

select * from final
