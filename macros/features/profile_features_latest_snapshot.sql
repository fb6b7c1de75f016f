{#
  profile_features_latest, every live profile as of the newest published date, is read several times per build
  (its tests, the BI and CRM marts) and by every BI query and `featurestore verify`. As an as-of read of the log,
  each read searched the whole log for each profile's newest row: 8-30 s a read at 1,000,000 profiles x 90 days
  (docs/decisions/0011-latest-values-kept-by-the-publish.md).

  DuckDB: the publish keeps each profile's newest log row in the table `profile_features_latest_snapshot`, in a
  post-hook that runs inside the publish's own transaction, and profile_features_latest derives the day counts
  and the plan from it (the as-of read with the search done). The log and the snapshot commit together: a
  reader, a failed gate or a killed run sees both old or both new. A daily publish rewrites only the snapshot
  rows of the profiles it touched, so its cost follows the change set, not the profile base. Spark and
  Databricks commit each table on its own, so there profile_features_latest stays the as-of read of the log.
#}

{% macro latest_snapshot_relation(log) %}
  {{ return(log.incorporate(path={'identifier': 'profile_features_latest_snapshot'})) }}
{% endmacro %}

{#- The post-hook of profile_features: SQL that brings the snapshot up to date, or nothing where there is none. -#}
{% macro write_latest_snapshot() %}
  {{ return(adapter.dispatch('write_latest_snapshot', 'featurestore')()) }}
{% endmacro %}

{% macro default__write_latest_snapshot() %}{% endmacro %}

{% macro duckdb__write_latest_snapshot() %}
  {#- Only the version consumers read (latest_version) feeds profile_features_latest. -#}
  {%- set published = published_model_node() -%}
  {%- if published is none or published.unique_id != model.unique_id -%}{{ return('') }}{%- endif -%}
  {%- set snapshot = latest_snapshot_relation(this) -%}
  {%- set exists = adapter.get_relation(database=snapshot.database, schema=snapshot.schema,
                                        identifier=snapshot.identifier) is not none -%}
  {%- if not exists or should_full_refresh() %}
    create or replace table {{ snapshot }} as
    {{ newest_log_rows(this) }};
  {%- else %}
    {#- The publish replaced the log's rows from the candidate's first date on and left older ones alone. The
        profiles whose newest row may have moved: the ones with a row in the candidate and the ones whose newest
        row was on a replaced date. Every profile with a log row from that date on is among them; the others
        among them (rows gone, none left on the new dates) get their newest older row. -#}
    {%- set candidate = ref('profile_features_candidate') %}
    {%- set first_replaced = '(select min(feature_date) from ' ~ candidate ~ ')' %}
    create or replace temporary table profile_features_latest_snapshot__moved as
    select profile_id from {{ candidate }}
    union
    select profile_id from {{ snapshot }} where feature_date >= {{ first_replaced }};

    create or replace temporary table profile_features_latest_snapshot__gone as
    select moved.profile_id
    from profile_features_latest_snapshot__moved as moved
    where not exists (
        select 1 from {{ this }} as stored
        where stored.feature_date >= {{ first_replaced }} and stored.profile_id = moved.profile_id
    );

    delete from {{ snapshot }}
    where profile_id in (select profile_id from profile_features_latest_snapshot__moved);

    insert into {{ snapshot }}
    select * from ({{ newest_log_rows(this, 'feature_date >= ' ~ first_replaced) }})
    union all
    select * from ({{ newest_log_rows(this, 'profile_id in (select profile_id from profile_features_latest_snapshot__gone)') }});

    drop table profile_features_latest_snapshot__moved;
    drop table profile_features_latest_snapshot__gone;
  {%- endif %}
{% endmacro %}

{#- Each profile's newest row among the rows of `log` where `where` holds: a grouped max, then that row. -#}
{% macro newest_log_rows(log, where='true') %}
    with

    stored as not materialized (

        select * from {{ log }}
        where {{ where }}

    ),

    newest as (

        select
            profile_id,
            max(feature_date) as feature_date
        from stored
        group by profile_id

    )

    select stored.*
    from stored
    inner join newest
        on stored.profile_id = newest.profile_id
        and stored.feature_date = newest.feature_date
{% endmacro %}

{#- The body of profile_features_latest, given the published log's relation. -#}
{% macro profile_features_latest_rows(log) %}
  {{ return(adapter.dispatch('profile_features_latest_rows', 'featurestore')(log)) }}
{% endmacro %}

{% macro default__profile_features_latest_rows(log) %}
  {{ profile_features_as_of('(select max(feature_date) from ' ~ log ~ ')', log=log) }}
{% endmacro %}

{% macro duckdb__profile_features_latest_rows(log) %}
  {{ profile_features_as_of('(select max(feature_date) from ' ~ log ~ ')', log=log,
                            newest_rows=latest_snapshot_relation(log)) }}
{% endmacro %}
