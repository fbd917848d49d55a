{#- A value is one of the accounts this build reads (the var `cvdw_accounts`). -#}
{% test is_a_configured_account(model, column_name) %}

select {{ column_name }}
from {{ model }}
where
    {{ column_name }} is not null
    and lower(trim({{ column_name }})) not in (
        {%- for conta in var('cvdw_accounts') %}
        {{ dbt.string_literal(conta) }}{{ "," if not loop.last }}
        {%- endfor %}
    )

{% endtest %}
