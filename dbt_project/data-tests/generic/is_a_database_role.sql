{#- The seed contas_papeis names a role that exists in this database (trimmed, case as written:
    PostgreSQL folds unquoted role names to lower case). -#}
{% test is_a_database_role(model, column_name) %}

select {{ column_name }}
from {{ model }}
where
    {{ column_name }} is not null
    and trim({{ column_name }}) not in (select rolname from pg_catalog.pg_roles)

{% endtest %}
