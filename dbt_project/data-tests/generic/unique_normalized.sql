{#- Values are unique once case and surrounding blanks are ignored (how the seeds are matched);
    with `group_by`, unique within each value of that column (a situation per `caminho`). -#}
{% test unique_normalized(model, column_name, group_by=none) %}

select
    {%- if group_by %}
    {{ group_by }},
    {%- endif %}
    lower(trim({{ column_name }})) as normalized,
    count(*) as occurrences
from {{ model }}
where {{ column_name }} is not null
group by {% if group_by %}{{ group_by }}, {% endif %}lower(trim({{ column_name }}))
having count(*) > 1

{% endtest %}
