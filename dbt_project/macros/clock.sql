{#- The dbt side of the project's one clock (pipelines/clock.py): CVDW_NOW pins it. -#}

{#- "Today" for the marts (the month VSO runs up to): var('as_of') when given, else the project's
    one clock (pipelines/clock.py) read the same way: CVDW_NOW when pinned, else São Paulo's date
    (not the database server's, which may run in UTC and be a day ahead at night). -#}
{% macro as_of_date() -%}
    {%- set zone = modules.pytz.timezone('America/Sao_Paulo') -%}
    {%- set pinned = env_var('CVDW_NOW', '') | trim -%}
    {%- if var('as_of', none) -%}
        '{{ var("as_of") }}'::date
    {%- elif pinned -%}
        {%- set moment = modules.datetime.datetime.fromisoformat(pinned) -%}
        '{{ (moment.astimezone(zone) if moment.tzinfo else moment).date() }}'::date
    {%- else -%}
        '{{ modules.datetime.datetime.now(zone).date() }}'::date
    {%- endif -%}
{%- endmacro %}


{#- "Now" for dbt itself: source freshness compares the newest load with it, snapshots stamp it.
    Overrides dbt-postgres's now(), so a pinned clock pins freshness too. -#}
{% macro postgres__current_timestamp() -%}
    {%- set pinned = env_var('CVDW_NOW', '') | trim -%}
    {%- if pinned -%}
        {%- set moment = modules.datetime.datetime.fromisoformat(pinned) -%}
        {%- if moment.tzinfo -%}
            '{{ moment.isoformat() }}'::timestamptz
        {%- else -%}
            ('{{ moment.isoformat() }}'::timestamp at time zone 'America/Sao_Paulo')
        {%- endif -%}
    {%- else -%}
        now()
    {%- endif -%}
{%- endmacro %}


{#- The São Paulo day of a moment dbt stamped (a snapshot's dbt_valid_from/to). dbt-postgres
    stores them as `timestamp without time zone` in the session's time zone (UTC on the embedded
    server), so a change at 22:00 in São Paulo would otherwise land on the next day. -#}
{% macro sao_paulo_date(expr) -%}
    (({{ expr }})::timestamptz at time zone 'America/Sao_Paulo')::date
{%- endmacro %}
