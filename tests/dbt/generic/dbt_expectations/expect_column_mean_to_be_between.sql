{#- dbt-expectations: macros/schema_tests/aggregate_functions/expect_column_mean_to_be_between.sql
    Fails when avg(column) (per group_by group, if given) is outside [min_value, max_value]. -#}
{% test expect_column_mean_to_be_between(model, column_name,
                                         min_value=None,
                                         max_value=None,
                                         group_by=None,
                                         row_condition=None,
                                         strictly=False
                                         ) %}
{% set expression %}
avg({{ column_name }})
{% endset %}
{{ test_expression_between(model,
                           expression=expression,
                           min_value=min_value,
                           max_value=max_value,
                           group_by_columns=group_by,
                           row_condition=row_condition,
                           strictly=strictly
                           ) }}
{% endtest %}
