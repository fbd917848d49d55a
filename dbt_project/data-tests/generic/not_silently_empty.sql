{#-
    Fails when the model has no rows while one of its inputs has: a mart must not come out
    empty without saying so. `inputs` lists models, each with an optional `where` that keeps
    the rows that should have produced mart rows.
-#}
{% test not_silently_empty(model, inputs) %}

with

inputs as (
    {%- for input in inputs %}

    select
        '{{ input.model }}' as input_model,
        count(*) as input_rows
    from {{ ref(input.model) }}
    where {{ input.get('where', 'true') }}
    {%- if not loop.last %}

    union all
    {%- endif %}
    {%- endfor %}

)

select
    input_model,
    input_rows
from inputs
where input_rows > 0 and not exists (select 1 from {{ model }})

{% endtest %}
