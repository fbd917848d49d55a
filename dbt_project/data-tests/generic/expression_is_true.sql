{#- Every row satisfies a SQL expression (rows where `where` is false are skipped). -#}
{% test expression_is_true(model, expression) %}

select *
from {{ model }}
where not coalesce(({{ expression }}), false)

{% endtest %}
