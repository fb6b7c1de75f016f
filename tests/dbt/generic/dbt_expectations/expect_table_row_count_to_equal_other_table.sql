{#- dbt-expectations: macros/schema_tests/table_shape/expect_table_row_count_to_equal_other_table.sql
    Fails when count(*) of the model differs from count(*) * factor of compare_model, overall or per group
    (group_by on the model, compare_group_by on compare_model; a group missing on one side counts 0).
    compare_row_condition defaults to row_condition, compare_group_by to group_by.
    The package dispatches to `default__test_expect_table_row_count_to_equal_other_table`; that body is inlined. -#}
{%- test expect_table_row_count_to_equal_other_table(model,
                                                     compare_model,
                                                     group_by=None,
                                                     compare_group_by=None,
                                                     factor=1,
                                                     row_condition=None,
                                                     compare_row_condition=None
                                                     ) -%}
{{ test_equal_expression(model, "count(*)",
    compare_model=compare_model,
    compare_expression="count(*) * " + factor|string,
    group_by=group_by,
    compare_group_by=compare_group_by,
    row_condition=row_condition,
    compare_row_condition=compare_row_condition
) }}
{% endtest %}
