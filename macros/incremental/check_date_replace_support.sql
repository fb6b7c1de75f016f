{#
  Stops a Databricks run before any model when its compute cannot replace dates atomically. There the date-keyed
  models replace their rebuilt dates with delete+insert on the date key, which dbt-databricks runs as one
  `INSERT INTO ... REPLACE ON` statement on a SQL warehouse or Databricks Runtime 17.1+. On an older cluster it
  falls back to a DELETE and an INSERT (readers see the dates missing in between, a failure leaves them missing,
  and it breaks outright for the Python models), so the run refuses instead. docs/decisions/0007-databricks.md.
  A no-op on the local targets.
#}
{% macro check_date_replace_support() %}
  {{ return(adapter.dispatch('check_date_replace_support', 'featurestore')()) }}
{% endmacro %}

{% macro default__check_date_replace_support() %}
  select 1
{% endmacro %}

{% macro databricks__check_date_replace_support() %}
  {%- if execute and flags.WHICH in ('run', 'build') and not adapter.has_dbr_capability('replace_on') -%}
    {{ exceptions.raise_compiler_error(
      "The databricks target's compute (DATABRICKS_HTTP_PATH=" ~ env_var('DATABRICKS_HTTP_PATH', '')
      ~ ") cannot run INSERT INTO ... REPLACE ON, which replaces a date atomically: point DATABRICKS_HTTP_PATH"
      ~ " at a SQL warehouse or a cluster on Databricks Runtime 17.1 or newer (docs/databricks.md)."
    ) }}
  {%- endif -%}
  select 1
{% endmacro %}
