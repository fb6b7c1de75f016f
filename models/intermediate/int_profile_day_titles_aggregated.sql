{{
  config(
    materialized='incremental',
    unique_key='event_date',
    partition_by=storage_partition_by(['event_date']),
  )
}}

{#- Same window as int_profile_days_aggregated: the dates staging may have corrected. -#}
{%- set cutoff = incremental_cutoff_date() if is_incremental() else none %}

with

plays as (

    select * from {{ ref('stg_gold__viewing_events') }}
    {% if cutoff is not none -%} where event_date >= {{ cutoff }} {%- endif %}

),

content as (

    select * from {{ ref('stg_gold__content') }}

),

final as (

    select
        plays.profile_id,
        plays.content_id,
        content.series_id,
        content.genre,
        cast(count(*) as int) as plays,
        cast(sum(plays.watch_seconds) as bigint) as watch_seconds,
        plays.event_date
    from plays
    inner join content
        on plays.content_id = content.content_id
    group by plays.profile_id, plays.content_id, content.series_id, content.genre, plays.event_date

)

select * from final
