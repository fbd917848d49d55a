{#-
    Within each `partition_by` group (columns, comma-separated), the months in `column_name` are first days of months and
    follow one another with no gap and no repeat.
-#}
{% test gap_free_months(model, column_name, partition_by) %}

with

ordered as (

    select
        {{ partition_by }},
        {{ column_name }} as mes,
        lag({{ column_name }}) over (
            partition by {{ partition_by }} order by {{ column_name }}
        ) as mes_anterior
    from {{ model }}

)

select *
from ordered
where
    mes <> date_trunc('month', mes)::date
    or (mes_anterior is not null and mes <> (mes_anterior + interval '1 month')::date)

{% endtest %}
