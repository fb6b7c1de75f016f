{#- True on Saturdays and Sundays. Day-of-week numbering differs by engine (DuckDB Sun = 0, Spark Sun = 1). -#}
{% macro is_weekend(date_expr) %}
  {{ return(adapter.dispatch('is_weekend', 'featurestore')(date_expr)) }}
{% endmacro %}

{% macro default__is_weekend(date_expr) -%}
  dayofweek({{ date_expr }}) in (1, 7)
{%- endmacro %}

{% macro duckdb__is_weekend(date_expr) -%}
  isodow({{ date_expr }}) >= 6
{%- endmacro %}
