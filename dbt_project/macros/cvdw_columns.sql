{#-
    dlt creates a column only after it has seen a non-null value, and a table only after it has
    seen a row. Staging models therefore never name a raw column directly: they ask which
    columns exist and select `null::type` for the missing ones.
-#}

{#-
    Lower-case names of the columns of raw table `table_name`; empty when the table does not
    exist (yet). The table is looked up by name in the raw schema (var `cvdw_raw_schema`, the
    schema of source `cvdw`), not through source(), so that unit tests, where source() is a
    fixture, see the same columns as a real run.
-#}
{% macro cvdw_columns(source_name, table_name) -%}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set found = adapter.get_relation(
        database=target.database, schema=var('cvdw_raw_schema', 'raw'), identifier=table_name) -%}
    {%- if found is none -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set names = [] -%}
    {%- for column in adapter.get_columns_in_relation(found) -%}
        {%- do names.append(column.name | lower) -%}
    {%- endfor -%}
    {{ return(names) }}
{%- endmacro %}

{#- `relation` when it exists, else an empty relation, so a staging view builds on any load. -#}
{% macro cvdw_from(relation, columns) -%}
    {%- if columns | length > 0 -%}
        {{ relation }}
    {%- else -%}
        (select 1 as missing_table where false) as missing_table
    {%- endif -%}
{%- endmacro %}

{#- The raw column `name` cast to `type`, or a typed null when dlt never created it. -#}
{% macro cvdw_column(columns, name, type='text') -%}
    {%- if name | lower in columns -%}
        {{ adapter.quote(name | lower) }}::{{ type }}
    {%- else -%}
        null::{{ type }}
    {%- endif -%}
{%- endmacro %}

{#-
    A money or measure column: the numeric column dlt made, or else its text variant
    `<name>__v_text` (values that were not JSON numbers, such as '1.000,00' or '').
-#}
{% macro cvdw_numeric(columns, name) -%}
    {%- set variant = (name | lower) ~ '__v_text' -%}
    {%- set parts = [] -%}
    {%- if name | lower in columns -%}
        {%- do parts.append(cvdw_parse_number(adapter.quote(name | lower) ~ '::text')) -%}
    {%- endif -%}
    {%- if variant in columns -%}
        {%- do parts.append(cvdw_parse_number(adapter.quote(variant))) -%}
    {%- endif -%}
    {%- if parts | length == 0 -%}
        null::numeric
    {%- elif parts | length == 1 -%}
        {{ parts[0] }}
    {%- else -%}
        coalesce({{ parts | join(', ') }})
    {%- endif -%}
{%- endmacro %}
