{#- Whole days from `start_date` to `end_date` as an int (DuckDB returns BIGINT, Spark INT). -#}
{% macro days_between(start_date, end_date) -%}
  cast({{ dbt.datediff(start_date, end_date, 'day') }} as int)
{%- endmacro %}
