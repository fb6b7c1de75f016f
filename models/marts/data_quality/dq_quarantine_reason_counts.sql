-- Rows rejected by staging, per source table, outcome and reason: what each run saw and dropped.
with

viewing_events as (

    select * from {{ ref('base_gold__viewing_events') }}

),

engagement_events as (

    select * from {{ ref('base_gold__engagement_events') }}

),

reasons as (

    select
        quarantine_reason,
        precedence
    from {{ ref('quarantine_reasons') }}

),

rejected as (

    select
        'viewing_events' as source_table,
        is_duplicate,
        quarantine_reason,
        run_id
    from viewing_events
    where is_duplicate or quarantine_reason is not null

    union all

    select
        'engagement_events' as source_table,
        is_duplicate,
        quarantine_reason,
        run_id
    from engagement_events
    where is_duplicate or quarantine_reason is not null

),

final as (

    select
        rejected.source_table,
        case when rejected.is_duplicate then 'dropped_duplicate' else 'quarantined' end as outcome,
        coalesce(rejected.quarantine_reason, 'duplicate') as reason,
        cast(coalesce(reasons.precedence, 0) as int) as reason_precedence,
        rejected.run_id as last_seen_run_id,
        cast(count(*) as bigint) as row_count
    from rejected
    left join reasons
        on rejected.quarantine_reason = reasons.quarantine_reason
    group by 1, 2, 3, 4, 5

)

select * from final
