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

final as (

    select
        profile_id,
        device_type,
        cast(count(*) as int) as plays,
        cast(sum(watch_seconds) as bigint) as watch_seconds,
        '{{ invocation_id }}' as run_id,
        event_date
    from plays
    group by profile_id, device_type, event_date

)

select * from final
