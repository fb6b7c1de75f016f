{#
  The last feature date a run builds, as a SQL date literal: the `as_of_date` var when given
  (`--vars '{as_of_date: 2026-10-01}'`), else the newest event date with valid activity. None when there are no
  events at all (the feature models then build zero rows).
#}
{% macro feature_as_of_date() %}
  {%- if var('as_of_date', none) -%}
    {{ return("cast('" ~ var('as_of_date') ~ "' as date)") }}
  {%- endif -%}
  {%- set days = load_relation(ref('int_profile_days_aggregated')) if execute else none -%}
  {%- if days is none -%}{{ return(none) }}{%- endif -%}
  {%- set newest = run_query('select max(event_date) from ' ~ days).columns[0].values()[0] -%}
  {{ return(none if newest is none else "cast('" ~ (newest | string)[:10] ~ "' as date)") }}
{% endmacro %}

{#
  The first feature date of the history: the oldest event date. Every profile live then gets its first row on it.
#}
{% macro feature_history_start_date() %}
  {%- set days = load_relation(ref('int_profile_days_aggregated')) if execute else none -%}
  {%- if days is none -%}{{ return(none) }}{%- endif -%}
  {%- set oldest = run_query('select min(event_date) from ' ~ days).columns[0].values()[0] -%}
  {{ return(none if oldest is none else "cast('" ~ (oldest | string)[:10] ~ "' as date)") }}
{% endmacro %}
