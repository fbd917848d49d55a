{#- The column is unique within each account (`conta`): the grain of a model keyed by a CVDW id,
    which two accounts may both use. -#}
{% test unique_per_conta(model, column_name) %}

select
    conta,
    {{ column_name }},
    count(*) as occurrences
from {{ model }}
where {{ column_name }} is not null
group by conta, {{ column_name }}
having count(*) > 1

{% endtest %}
