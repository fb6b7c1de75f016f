{#- Minutes as a double. A bare `/ 60.0` is DECIMAL arithmetic on Spark (6-digit scale), a DOUBLE on DuckDB. -#}
{% macro seconds_to_minutes(seconds) -%}
  (cast({{ seconds }} as double) / 60)
{%- endmacro %}
