{{
  config(
    materialized='incremental',
    unique_key='event_date',
    partition_by=storage_partition_by(['event_date']),
  )
}}

{#- Re-process the last `lookback_days` behind the newest valid event date so late arrivals are absorbed. -#}
{%- set cutoff = incremental_cutoff_date(where='quarantine_reason is null and not is_duplicate')
    if is_incremental() else none %}

with

source_events as (

    select
        cast(event_id as {{ dbt.type_string() }}) as event_id,
        cast(profile_id as {{ dbt.type_string() }}) as profile_id,
        cast(content_id as {{ dbt.type_string() }}) as content_id,
        try_cast(event_ts as timestamp) as event_ts,
        try_cast(watch_seconds as int) as watch_seconds,
        cast(device_type as {{ dbt.type_string() }}) as device_type,
        try_cast(ingested_at as timestamp) as ingested_at
    from {{ source('gold', 'viewing_events') }}
    {{ gold_event_window_filter(cutoff) }}

),

profiles as (

    select
        profile_id,
        max(try_cast(deleted_at as timestamp)) as deleted_at
    from {{ source('gold', 'profiles') }}
    group by profile_id

),

content as (

    select distinct content_id
    from {{ source('gold', 'content') }}

),

ranked as (

    select
        *,
        {{ gold_event_copy_rank(['profile_id', 'content_id', 'watch_seconds', 'device_type']) }} as copy_rank
    from source_events

),

classified as (

    select
        ranked.event_id,
        ranked.profile_id,
        ranked.content_id,
        ranked.event_ts,
        ranked.watch_seconds,
        ranked.device_type,
        ranked.ingested_at,
        ranked.copy_rank > 1 as is_duplicate,
        -- The first rule a row breaks, in the precedence of seeds/reference/quarantine_reasons.csv.
        case
            when ranked.copy_rank > 1 then null
            when nullif(trim(ranked.event_id), '') is null
                or nullif(trim(ranked.profile_id), '') is null then 'missing_key'
            when profiles.profile_id is null then 'unknown_profile'
            when content.content_id is null then 'unknown_content'
            when ranked.watch_seconds is null
                or ranked.watch_seconds < 0
                or ranked.watch_seconds > 86400 then 'bad_duration'
            when ranked.event_ts is null
                or ranked.event_ts > ranked.ingested_at
                or ranked.event_ts > {{ latest_plausible_event_ts() }} then 'bad_timestamp'
            when ranked.event_ts > profiles.deleted_at then 'deleted_profile'
        end as quarantine_reason,
        '{{ invocation_id }}' as run_id,
        {{ gold_event_partition_date('ranked.event_ts', 'ranked.ingested_at') }} as event_date
    from ranked
    left join profiles
        on ranked.profile_id = profiles.profile_id
    left join content
        on ranked.content_id = content.content_id

)

select * from classified
