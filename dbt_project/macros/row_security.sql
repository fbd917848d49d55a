{#-
    Row-level security on the marts (issue 13): a database role reads only the rows of the accounts
    (`conta`) that the seed `contas_papeis` maps it to, or maps a role it is a member of to.

    `cvdw_row_security()` is a post-hook of every mart (dbt_project.yml). It runs in the same
    transaction that swaps the rebuilt table in, so a mart is never readable without its policy:

    - the function `marts.contas_visiveis(role_name)` (security definer: the roles cannot read the
      seed, nor learn other roles' accounts) gives the accounts a role may read, from the seed as
      it is when a query runs, so a `dbt seed` alone changes who sees what at once, on every mart;
      null while the seed is empty, which restricts no one (one account, or roles not mapped yet);
    - the table gets row level security and one policy, `contas_visiveis`, for SELECT;
    - the roles the seed names get USAGE on the schema and SELECT on the table; names of roles
      that do not exist are skipped (the seed's test `is_a_database_role` warns about them).

    Two traps, and what keeps out of them:
    - a table's owner, a superuser and a role with BYPASSRLS skip every policy: the marts belong to
      the role that runs dbt, and the app's and BI tools' roles must be other roles, none of these;
    - a view runs with its owner's rights, and so bypasses the policies of the tables it reads,
      unless it is `security_invoker` (PostgreSQL 15+): a mart materialized as a view gets it here.
      (A materialized view cannot have policies: the hook fails on one.)
-#}
{% macro cvdw_row_security() -%}
    {#- Called at parse time too: this ref makes every mart depend on the seed, so `dbt build`
        loads the mapping before it rebuilds any mart. -#}
    {%- set mapping = ref('contas_papeis') -%}
    {%- if execute -%}
        {%- set kind = model.config.materialized -%}
        {%- set schema = adapter.quote(this.schema) %}
-- Grants on one schema and re-creating the function, from several dbt threads, one at a time
-- (concurrent catalog updates fail); held until this model's transaction commits. Two-key
-- advisory locks never meet cvdw-ops's run lock (one key).
select pg_advisory_xact_lock(hashtext('cvdw'), hashtext('row_security'));
{% if kind == 'view' %}
alter view {{ this }} set (security_invoker = true);
{% else %}
-- (`create or replace` keeps the dependent policies, but cannot change the parameters or the result
-- type: a function of another signature needs another name)
create or replace function {{ schema }}.contas_visiveis(role_name name)
returns text []
language sql
stable
security definer
set search_path = pg_catalog, pg_temp
as $contas_visiveis$
    select case
        -- an empty mapping restricts no one: a role granted SELECT reads every account
        when not exists (select from {{ mapping }}) then null
        -- a session learns the accounts of its own roles only
        when not pg_has_role(session_user, role_name, 'MEMBER') then '{}'::text []
        else array(
            select distinct lower(trim(m.conta))
            from {{ mapping }} as m
            -- a name that is no role matches nothing
            inner join pg_roles as r on r.rolname = trim(m.papel)
            where pg_has_role(role_name, r.oid, 'MEMBER')
            order by 1
        )
    end
$contas_visiveis$;
comment on function {{ schema }}.contas_visiveis(name) is
    'The accounts (conta) a role may read in the marts, from the seed contas_papeis; null while the seed is empty (no restriction). Used by the policy contas_visiveis of every mart (macros/row_security.sql).';

alter table {{ this }} enable row level security;
drop policy if exists contas_visiveis on {{ this }};
-- (select ...) is evaluated once per query, not once per row
create policy contas_visiveis on {{ this }} for select
    using (conta = any(coalesce((select {{ schema }}.contas_visiveis(current_user)), array[conta])));
{% endif %}
do $grants$
declare
    grantee name;
begin
    for grantee in
        select distinct r.rolname
        from {{ mapping }} as m
        inner join pg_roles as r on r.rolname = trim(m.papel)
    loop
        execute format('grant usage on schema %I to %I', {{ dbt.string_literal(this.schema) }}, grantee);
        execute format('grant select on %s to %I', {{ dbt.string_literal(this) }}, grantee);
    end loop;
end
$grants$;
    {%- endif -%}
{%- endmacro %}
