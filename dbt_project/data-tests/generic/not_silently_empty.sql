{#-
    Fails when the model has no rows of an account (`conta`) while one of its inputs has: a mart
    must not come out empty, for any account, without saying so. `inputs` lists models, each with an optional `where` that keeps
    the rows that should have produced mart rows.
-#}
{% test not_silently_empty(model, inputs) %}

with

inputs as (
    {%- for input in inputs %}

    select
        conta,
        '{{ input.model }}' as input_model,
        count(*) as input_rows
    from {{ ref(input.model) }}
    where {{ input.get('where', 'true') }}
    group by conta
    {%- if not loop.last %}

    union all
    {%- endif %}
    {%- endfor %}

)

select
    inputs.conta,
    inputs.input_model,
    inputs.input_rows
from inputs
where not exists (select 1 from {{ model }} as mart where mart.conta = inputs.conta)

{% endtest %}
