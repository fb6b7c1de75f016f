{#
  The plan of each (account_id, <date_column>) pair of `requests` at the end of that date: the latest plan state
  that started on or before it; before the first known state, the earliest known one. Returns a select of
  (account_id, <date_column>, plan_tier). The one definition used by the lifecycle mart and point-in-time reads.
#}
{% macro plan_tier_as_of(requests, date_column) %}
    select
        account_id,
        {{ date_column }},
        plan_tier
    from (
        select
            requested.account_id,
            requested.{{ date_column }},
            plans.plan_tier,
            row_number() over (
                partition by requested.account_id, requested.{{ date_column }}
                order by
                    case when cast(plans.valid_from as date) <= requested.{{ date_column }} then 0 else 1 end,
                    case when cast(plans.valid_from as date) <= requested.{{ date_column }} then plans.valid_from end desc,
                    plans.valid_from asc
            ) as plan_rank
        from (select distinct account_id, {{ date_column }} from {{ requests }}) as requested
        inner join {{ ref('int_account_plans_historized') }} as plans
            on requested.account_id = plans.account_id
    ) as ranked
    where plan_rank = 1
{% endmacro %}
