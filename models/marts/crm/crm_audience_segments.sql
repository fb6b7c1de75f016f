{{ config(materialized='table') }}

{#-
  Every live profile's CRM audience segments as of the newest built feature date: one row per (profile,
  segment) it belongs to. Each segment's rule is defined once, as data: a SQL condition over the published
  features in var `crm_audience_segments` (dbt_project.yml). One pass over profile_features_latest: each rule
  becomes a flag, and the flags are turned into rows.
-#}
{%- set segments = var('crm_audience_segments') %}

with

latest as (

    select * from {{ ref('profile_features_latest') }}

),

flagged as (

    select
        profile_id,
        account_id,
        {%- for name, segment in segments.items() %}
            case when {{ segment.rule }} then 1 else 0 end as in_segment_{{ loop.index }},
        {%- endfor %}
        feature_date
    from latest

),

segment_names as (

    {%- for name in segments %}
        select
            {{ loop.index }} as segment_number,
            '{{ name }}' as segment_name
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}

),

final as (

    select
        flagged.profile_id,
        flagged.account_id,
        segment_names.segment_name,
        flagged.feature_date
    from flagged
    cross join segment_names
    where
        {%- for name in segments %}
            (segment_names.segment_number = {{ loop.index }} and flagged.in_segment_{{ loop.index }} = 1)
            {%- if not loop.last %} or{% endif %}
        {%- endfor %}

)

select * from final
