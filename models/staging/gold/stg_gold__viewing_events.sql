-- Valid, de-duplicated plays: the only event input of every feature.
with

events as (

    select * from {{ ref('base_gold__viewing_events') }}

),

device_types as (

    select device_type from {{ ref('device_types') }}

),

final as (

    select
        events.event_id,
        events.profile_id,
        events.content_id,
        events.event_ts,
        events.event_date,
        events.watch_seconds,
        -- Unknown or missing devices are kept, as `other` (SOURCES contract).
        coalesce(device_types.device_type, 'other') as device_type,
        events.ingested_at,
        events.run_id
    from events
    left join device_types
        on lower(trim(events.device_type)) = device_types.device_type
    where
        not events.is_duplicate
        and events.quarantine_reason is null

)

select * from final
