{#
  Plan history rows (account_id, plan_tier, valid_from) for the `plan_tier` feature.
  From the `accounts_snapshot` (SCD2) where snapshots run; on the local Spark target (parquet cannot MERGE, so no
  snapshot) the current accounts table stands in: one state per account, valid since its updated_at.
#}
{% macro account_plan_history() %}
  {{ return(adapter.dispatch('account_plan_history', 'featurestore')()) }}
{% endmacro %}

{% macro default__account_plan_history() %}
    select
        account_id,
        lower(trim(plan_tier)) as plan_tier,
        cast(valid_from as timestamp) as valid_from
    from {{ ref('accounts_snapshot') }}
{% endmacro %}

{% macro spark__account_plan_history() %}
    select
        account_id,
        plan_tier,
        updated_at as valid_from
    from {{ ref('stg_gold__accounts') }}
{% endmacro %}
