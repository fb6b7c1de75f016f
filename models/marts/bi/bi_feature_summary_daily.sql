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
  date. One aggregation pass over profile_features_latest; its wide result (one row per stage) is then turned
  into rows by a cross join with the list of features rather than a union of one select per feature, so the
  plan stays a few operators deep on every engine however many features the catalog has.
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

feature_list as (

    select
        listed.feature_number,
        listed.category,
        listed.feature_name
    from (
        values
        {%- for feature in features %}
            ({{ loop.index }}, '{{ feature.category }}', '{{ feature.name }}'){{ ',' if not loop.last }}
        {%- endfor %}
    ) as listed (feature_number, category, feature_name)

),

final as (

    select
        by_stage.feature_date,
        by_stage.lifecycle_stage,
        feature_list.category,
        feature_list.feature_name,
        cast(by_stage.profiles as bigint) as profiles,
        cast(
            case feature_list.feature_number
                {%- for feature in features %}
                    when {{ loop.index }} then by_stage.non_null_{{ loop.index }}
                {%- endfor %}
            end as bigint
        ) as non_null_profiles,
        cast(
            case feature_list.feature_number
                {%- for feature in features %}
                    when {{ loop.index }} then by_stage.mean_{{ loop.index }}
                {%- endfor %}
            end as double
        ) as mean_value
    from by_stage
    cross join feature_list

)

select * from final
