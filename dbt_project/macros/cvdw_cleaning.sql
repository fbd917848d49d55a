{#- Cleaning rules shared by every staging model; each takes a SQL expression. -#}

{#- Text number to numeric: '1234.5', '-12', Brazilian '1.000,00' and '1000,5'; anything else null. -#}
{% macro cvdw_parse_number(expr) -%}
    (case
        when trim({{ expr }}) ~ '^-?[0-9]+(\.[0-9]+)?$'
            then trim({{ expr }})::numeric
        when trim({{ expr }}) ~ '^-?[0-9]{1,3}(\.[0-9]{3})*(,[0-9]+)?$'
            then replace(replace(trim({{ expr }}), '.', ''), ',', '.')::numeric
        when trim({{ expr }}) ~ '^-?[0-9]+,[0-9]+$'
            then replace(trim({{ expr }}), ',', '.')::numeric
    end)
{%- endmacro %}

{#- CVDW date text to timestamp: 'YYYY-MM-DD HH:MM:SS', 'YYYY-MM-DD' or 'DD/MM/YYYY'; '' and zero dates are null. -#}
{% macro cvdw_timestamp(expr) -%}
    (case
        when {{ expr }}::text ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}( [0-9]{2}:[0-9]{2}(:[0-9]{2})?)?$'
            and left({{ expr }}::text, 10) not like '0000%'
            and substr({{ expr }}::text, 6, 2) <> '00'
            and substr({{ expr }}::text, 9, 2) <> '00'
            then {{ expr }}::text::timestamp
        when {{ expr }}::text ~ '^[0-9]{2}/[0-9]{2}/[0-9]{4}$'
            and right({{ expr }}::text, 4) <> '0000'
            and left({{ expr }}::text, 2) <> '00'
            and substr({{ expr }}::text, 4, 2) <> '00'
            then to_date({{ expr }}::text, 'DD/MM/YYYY')::timestamp
    end)
{%- endmacro %}

{% macro cvdw_date(expr) -%}
    {{ cvdw_timestamp(expr) }}::date
{%- endmacro %}

{#-
    'S'/'N', 'Sim'/'Não' (and true/false, 1/0) to boolean; anything else null. The accent is
    removed before upper(), which leaves 'ã' alone under the C locale.
-#}
{% macro cvdw_bool(expr) -%}
    (case
        when upper(translate(trim({{ expr }}::text), 'ãÃ', 'aA')) in ('S', 'SIM', 'TRUE', 'T', '1')
            then true
        when upper(translate(trim({{ expr }}::text), 'ãÃ', 'aA')) in ('N', 'NAO', 'FALSE', 'F', '0')
            then false
    end)
{%- endmacro %}

{#- Text with HTML entities decoded and blanks turned into null (&amp; last, so it decodes once). -#}
{% macro cvdw_text(expr) -%}
    nullif(trim(
        replace(replace(replace(replace(replace(replace(replace(replace(
            {{ expr }}::text,
            '&lt;', '<'), '&gt;', '>'), '&quot;', '"'), '&#39;', ''''), '&#039;', ''''),
            '&apos;', ''''), '&nbsp;', ' '), '&amp;', '&')
    ), '')
{%- endmacro %}

{#- Keep the newest version of each business key (the load is a merge, but be safe). -#}
{% macro cvdw_newest_first() -%}
    atualizado_em desc nulls last, _dlt_load_id desc
{%- endmacro %}

{#-
    A money or measure column: the decimal dlt stored, else its declared text variant
    `<column>__v_text`, where values that were not numbers land ('1.000,00', '1000,5').
-#}
{% macro cvdw_number(column) -%}
    coalesce({{ column }}, {{ cvdw_parse_number(column ~ '__v_text') }})
{%- endmacro %}

{#- An id CVDW sends as text (`leads.idlead`, `leads.idempreendimento`): bigint when it is one
    integer, else null. -#}
{% macro cvdw_id(expr) -%}
    (case when trim({{ expr }}::text) ~ '^[0-9]{1,18}$' then trim({{ expr }}::text)::bigint end)
{%- endmacro %}

{#- A comma-separated id list ('8757, 211964', the `idlead` of pastas, reservations, sales and
    repasses) as bigint[] in the order CVDW wrote it, for joins; items that are not integers are
    left out; null text gives null. -#}
{% macro cvdw_id_list(expr) -%}
    (case when {{ expr }} is not null then array(
        select trim(lista.item)::bigint
        from unnest(string_to_array({{ expr }}::text, ',')) with ordinality as lista (item, posicao)
        where trim(lista.item) ~ '^[0-9]{1,18}$'
        order by lista.posicao
    ) end)
{%- endmacro %}
