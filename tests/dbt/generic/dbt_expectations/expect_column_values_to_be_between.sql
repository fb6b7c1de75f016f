{#- dbt-expectations: macros/schema_tests/column_values_basic/expect_column_values_to_be_between.sql
    One failing row per value outside [min_value, max_value] (open bounds with strictly=true); NULLs pass. -#}
{% test expect_column_values_to_be_between(model, column_name,
                                           min_value=None,
                                           max_value=None,
                                           row_condition=None,
                                           strictly=False
                                           ) %}

{% set expression %}
{{ column_name }}
{% endset %}

{{ test_expression_between(model,
                           expression=expression,
                           min_value=min_value,
                           max_value=max_value,
                           group_by_columns=None,
                           row_condition=row_condition,
                           strictly=strictly
                           ) }}

{% endtest %}
