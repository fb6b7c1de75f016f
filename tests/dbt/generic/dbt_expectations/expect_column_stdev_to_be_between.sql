{#- dbt-expectations: macros/schema_tests/aggregate_functions/expect_column_stdev_to_be_between.sql
    Fails when the SAMPLE standard deviation (N-1) of the column (per group_by group, if given) is outside
    [min_value, max_value]. The package writes `stddev()`, which is the sample deviation on its engines
    (DuckDB, Spark, Postgres, Snowflake, ...); `stddev_samp` says so on every engine. The package dispatches
    to `default__test_expect_column_stdev_to_be_between`; that body is inlined. -#}
{% test expect_column_stdev_to_be_between(model, column_name,
                                          min_value=None,
                                          max_value=None,
                                          group_by=None,
                                          row_condition=None,
                                          strictly=False
                                          ) -%}
{% set expression %}
stddev_samp({{ column_name }})
{% endset %}
{{ test_expression_between(model,
                           expression=expression,
                           min_value=min_value,
                           max_value=max_value,
                           group_by_columns=group_by,
                           row_condition=row_condition,
                           strictly=strictly
                           ) }}
{%- endtest %}
