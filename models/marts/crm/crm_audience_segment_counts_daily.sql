{{
  config(
    materialized='incremental',
    unique_key='feature_date',
    partition_by=storage_partition_by(['feature_date']),
  )
}}

{#-
  Members per CRM audience segment and feature date: each run adds (or replaces) the newest built date, so the
  history of counts starts with the first run of this model. Segments with no member count 0.
-#}
{%- set segments = var('crm_audience_segments') %}

with

segment_names as (

    {%- for name in segments %}
        select '{{ name }}' as segment_name
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}

),

members as (

    select
        segment_name,
        count(*) as member_profiles,
        count(distinct account_id) as member_accounts
    from {{ ref('crm_audience_segments') }}
    group by segment_name

),

newest_date as (

    select max(feature_date) as feature_date from {{ ref('profile_features') }}

),

final as (

    select
        segment_names.segment_name,
        cast(coalesce(members.member_profiles, 0) as bigint) as member_profiles,
        cast(coalesce(members.member_accounts, 0) as bigint) as member_accounts,
        newest_date.feature_date
    from segment_names
    cross join newest_date
    left join members
        on segment_names.segment_name = members.segment_name
    where newest_date.feature_date is not null

)

select * from final
