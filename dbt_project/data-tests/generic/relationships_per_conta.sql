{#- Every value of the column is a `field` of `to` in the same account (`conta`): dbt's
    relationships test, where an id is only an id within its account. -#}
{% test relationships_per_conta(model, column_name, to, field) %}

select
    child.conta,
    child.{{ column_name }}
from {{ model }} as child
where
    child.{{ column_name }} is not null
    and not exists (
        select 1
        from {{ to }} as parent
        where parent.conta = child.conta and parent.{{ field }} = child.{{ column_name }}
    )

{% endtest %}
