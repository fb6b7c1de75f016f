{#- `date + n days` as a DATE on every engine (`date + interval` is a TIMESTAMP on DuckDB, a DATE on Spark). -#}
{% macro add_days(date_expr, days) -%}
  date_add({{ date_expr }}, {{ days }})
{%- endmacro %}
