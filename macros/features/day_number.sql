{#-
  A date as a whole number of days since 1970-01-01: the ordering key of every trailing-window frame
  (Spark rejects RANGE frames over a DATE ordering; an integer works on every engine).
-#}
{% macro day_number(date_expr) -%}
  {{ days_between("cast('1970-01-01' as date)", date_expr) }}
{%- endmacro %}
