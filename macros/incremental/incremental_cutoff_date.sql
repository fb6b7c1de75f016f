{#
  First event date an incremental run re-processes: the last date already built in `relation` minus
  `lookback_days`, so late-arriving events (landed after their date was built) correct that date.
  Returned as a SQL date literal computed at run time, so engines can prune partitions / row groups with it.
  Returns none on a first build (empty or missing target), meaning "process everything".
#}
{% macro incremental_cutoff_date(relation=this, date_column='event_date', where='1 = 1') %}
  {%- if not execute -%}{{ return(none) }}{%- endif -%}
  {%- set result = run_query(
    'select max(' ~ date_column ~ ') from ' ~ relation ~ ' where ' ~ where
  ).columns[0].values()[0] -%}
  {%- if result is none -%}{{ return(none) }}{%- endif -%}
  {%- set last_built = modules.datetime.date.fromisoformat((result | string)[:10]) -%}
  {%- set cutoff = last_built - modules.datetime.timedelta(days=var('lookback_days') | int) -%}
  {{ return("cast('" ~ cutoff.isoformat() ~ "' as date)") }}
{% endmacro %}
