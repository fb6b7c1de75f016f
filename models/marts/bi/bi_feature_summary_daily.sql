{{
  config(
    materialized='incremental',
    unique_key='feature_date',
    partition_by=storage_partition_by(['feature_date']),
  )
}}

{#-
  The live profiles as of the newest built feature date, summarized per lifecycle stage and feature: how many
  profiles, how many have a value, and the mean (for booleans: the share that is true). One row per (date,
  lifecycle stage, feature) for every numeric and boolean feature of the catalog, each run adding the newest
  date. One aggregation pass over profile_features_latest; its wide result (a few rows) is then turned into rows.
-#}
{%- set features = [] %}
{%- for feature in published_features() if feature.data_type in ('int', 'bigint', 'double', 'boolean') %}
    {%- do features.append(feature) %}
{%- endfor %}

with

latest as (

    select * from {{ ref('profile_features_latest') }}

),

by_stage as (

    select
        lifecycle_stage,
        count(*) as profiles,
        {%- for feature in features %}
            {%- set value = 'case when ' ~ feature.name ~ ' then 1.0 else 0.0 end'
                if feature.data_type == 'boolean' else 'cast(' ~ feature.name ~ ' as double)' %}
            count({{ feature.name }}) as non_null_{{ loop.index }},
            avg({{ value }}) as mean_{{ loop.index }},
        {%- endfor %}
        max(feature_date) as feature_date
    from latest
    group by lifecycle_stage

),

final as (

    {%- for feature in features %}
        select
            by_stage.feature_date,
            by_stage.lifecycle_stage,
            '{{ feature.category }}' as category,
            '{{ feature.name }}' as feature_name,
            cast(by_stage.profiles as bigint) as profiles,
            cast(by_stage.non_null_{{ loop.index }} as bigint) as non_null_profiles,
            cast(by_stage.mean_{{ loop.index }} as double) as mean_value
        from by_stage
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}

)

select * from final
