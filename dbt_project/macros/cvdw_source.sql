{#-
    The raw table of every account as one relation, `conta` first: a union of the schemas the var
    `cvdw_accounts` names (conta → raw schema; cvdw-ops and Dagster pass every configured
    account, pipelines/accounts.py). It reads the declared columns only (cvdw_raw_columns), the
    same in every account, since accounts send different undocumented fields.
-#}
{% macro cvdw_source(table) -%}
    {%- set relation = source('cvdw', table) -%}
    {%- set accounts = var('cvdw_accounts').items() | list -%}
    {#- in a unit test source() is the fixture itself (a CTE, no schema): one account's rows -#}
    {%- set accounts = accounts if relation.schema else accounts[:1] -%}
    {%- for conta, schema in accounts %}
    {%- if not loop.first %}
    union all
    {%- endif %}
    select
        '{{ conta }}'::text as conta,
        {{ cvdw_raw_columns()[table] | join(', ') }}
    from {{ relation.incorporate(path={'schema': schema}) if relation.schema else relation }}
    {%- endfor %}
{%- endmacro %}
