{#- Values are unique once case and surrounding blanks are ignored (how the seed is matched). -#}
{% test unique_normalized(model, column_name) %}

select
    lower(trim({{ column_name }})) as normalized,
    count(*) as occurrences
from {{ model }}
where {{ column_name }} is not null
group by 1
having count(*) > 1

{% endtest %}
