-- Every rejected event of both event tables, with its original columns, reason code and the run that saw it.
with

viewing_events as (

    select * from {{ ref('base_gold__viewing_events') }}

),

engagement_events as (

    select * from {{ ref('base_gold__engagement_events') }}

),

quarantined as (

    select
        'viewing_events' as source_table,
        quarantine_reason,
        event_id,
        profile_id,
        content_id,
        event_ts,
        watch_seconds,
        device_type,
        cast(null as {{ dbt.type_string() }}) as event_type,
        ingested_at,
        event_date,
        run_id
    from viewing_events
    where not is_duplicate and quarantine_reason is not null

    union all

    select
        'engagement_events' as source_table,
        quarantine_reason,
        event_id,
        profile_id,
        content_id,
        event_ts,
        cast(null as int) as watch_seconds,
        cast(null as {{ dbt.type_string() }}) as device_type,
        event_type,
        ingested_at,
        event_date,
        run_id
    from engagement_events
    where not is_duplicate and quarantine_reason is not null

)

select * from quarantined
