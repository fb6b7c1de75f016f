-- Valid, de-duplicated engagement actions.
with

events as (

    select * from {{ ref('base_gold__engagement_events') }}

),

final as (

    select
        event_id,
        profile_id,
        content_id,
        event_ts,
        event_date,
        event_type,
        ingested_at,
        run_id
    from events
    where
        not is_duplicate
        and quarantine_reason is null

)

select * from final
