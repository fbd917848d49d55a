{#-
    dbt-postgres reads column types from information_schema, which names every array type just
    `ARRAY`; dbt then writes `cast(null as ARRAY)` (unit-test fixtures) or `add column ... ARRAY`
    (a snapshot gaining a column), both syntax errors (dbt-labs/dbt-adapters#939). The staging
    id lists (`idleads`, bigint[]) are such columns. Same query as dbt-postgres's, with the
    element type of arrays (`_int8` -> `int8[]`).
-#}
{% macro postgres__get_columns_in_relation(relation) -%}
    {% call statement('get_columns_in_relation', fetch_result=True) %}
        select
            column_name,
            case when data_type = 'ARRAY' then substr(udt_name, 2) || '[]' else data_type end as data_type,
            character_maximum_length,
            numeric_precision,
            numeric_scale
        from {{ relation.information_schema('columns') }}
        where table_name = '{{ relation.identifier }}'
            {% if relation.schema %}
            and table_schema = '{{ relation.schema }}'
            {% endif %}
        order by ordinal_position
    {% endcall %}
    {% set table = load_result('get_columns_in_relation').table %}
    {{ return(sql_convert_columns_in_relation(table)) }}
{%- endmacro %}
