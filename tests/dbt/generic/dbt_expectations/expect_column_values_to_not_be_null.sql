{#- dbt-expectations: macros/schema_tests/column_values_basic/expect_column_values_to_not_be_null.sql
    One failing row per NULL value (among the rows matching row_condition). -#}
{% test expect_column_values_to_not_be_null(model, column_name, row_condition=None) %}

{% set expression = column_name ~ " is not null" %}

{{ test_expression_is_true(model,
                           expression=expression,
                           group_by_columns=None,
                           row_condition=row_condition
                           ) }}
{% endtest %}
