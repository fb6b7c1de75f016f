{#
  Shared pieces of the two event base models, so de-duplication and the run window are defined once.

  gold_event_partition_date: the date an event row is stored under. For valid rows it is event_date (the UTC
  date of event_ts); rows without a usable event_ts (quarantined as bad_timestamp) fall back to the day they
  landed, so every row has a partition and is re-processed with its neighbours.
#}
{% macro gold_event_partition_date(event_ts='event_ts', ingested_at='ingested_at') %}
  cast(coalesce({{ event_ts }}, {{ ingested_at }}, cast('1970-01-01 00:00:00' as timestamp)) as date)
{%- endmacro %}

{#-
  Source rows to (re-)process: everything on a first build, else the partitions from the cutoff on, i.e.
  gold_event_partition_date() >= cutoff, written as plain column comparisons so the engine can skip whole
  Parquet row groups by their min/max statistics (a daily run then reads days, not the whole history).
-#}
{% macro gold_event_window_filter(cutoff, event_ts='event_ts', ingested_at='ingested_at') %}
  {%- if cutoff is not none %}
  where
      {{ event_ts }} >= cast({{ cutoff }} as timestamp)
      or ({{ event_ts }} is null and {{ ingested_at }} >= cast({{ cutoff }} as timestamp))
  {%- endif %}
{%- endmacro %}

{#
  1 for the copy of an event that is kept: among rows sharing a non-empty event_id, the earliest ingested_at wins
  (remaining ties broken on the other columns so every engine keeps the same copy). Rows with a null or empty
  event_id are never de-duplicated.
#}
{% macro gold_event_copy_rank(tie_breakers) %}
  case
    when nullif(trim(event_id), '') is null then 1
    else row_number() over (
      partition by event_id
      order by ingested_at asc nulls last, event_ts asc nulls last
      {%- for column in tie_breakers %}, {{ column }} asc nulls last{% endfor %}
    )
  end
{%- endmacro %}

{#
  The latest event_ts a run accepts as real: the run's start (UTC) plus one day for clock skew. A later event is
  an upstream clock bug, quarantined as bad_timestamp: kept, it would become the newest valid event date, every
  incremental cutoff would jump past all real dates, and later runs would skip new events without a trace.
  Fixed per run (run_started_at), so every model of a run and every engine draw the same line.
#}
{% macro latest_plausible_event_ts() -%}
  cast('{{ (run_started_at + modules.datetime.timedelta(days=1)).strftime("%Y-%m-%d %H:%M:%S") }}' as timestamp)
{%- endmacro %}
