{#-
  The `fraction` quantile of `value` as a double, approximated in bounded memory (a t-digest on DuckDB,
  Greenwald-Khanna on Spark/Databricks). Used for quality statistics over millions of rows per date, where an
  exact percentile_cont would hold and sort every value of every feature; never for a feature value.
-#}
{% macro approximate_percentile(value, fraction) %}
  {{ return(adapter.dispatch('approximate_percentile', 'featurestore')(value, fraction)) }}
{% endmacro %}

{% macro default__approximate_percentile(value, fraction) -%}
  cast(percentile_approx({{ value }}, {{ fraction }}) as double)
{%- endmacro %}

{% macro duckdb__approximate_percentile(value, fraction) -%}
  cast(approx_quantile({{ value }}, {{ fraction }}) as double)
{%- endmacro %}
