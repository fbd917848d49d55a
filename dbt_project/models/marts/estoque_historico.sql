-- One row per day and development: the units available (map status 1) at the end of that day,
-- as the snapshot `snap_unidades` recorded them. The days are those on which a build saw a
-- change, plus as_of.
with

versoes as (

    select
        conta,
        idunidade,
        idempreendimento,
        idsituacao_mapa,
        {{ sao_paulo_date('dbt_valid_from') }} as valida_de,
        {{ sao_paulo_date('dbt_valid_to') }} as valida_ate
    from {{ ref('snap_unidades') }}

),

dias as (

    select valida_de as dia from versoes
    union
    select {{ as_of_date() }} as dia

),

-- the version in force at the end of each day (a later change that day replaces it)
em_vigor as (

    select
        dias.dia,
        versoes.conta,
        versoes.idempreendimento,
        versoes.idsituacao_mapa
    from dias
    inner join versoes
        on
            dias.dia >= versoes.valida_de
            and (versoes.valida_ate is null or dias.dia < versoes.valida_ate)

),

final as (

    -- `data` is a keyword to the linter, but it is the column's name in the marts' contract
    select
        dia as data,  -- noqa: RF04
        conta,
        idempreendimento,
        (count(*) filter (where idsituacao_mapa = 1))::integer as unidades_disponiveis
    from em_vigor
    group by dia, conta, idempreendimento

)

select * from final
