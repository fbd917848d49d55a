-- One row per day and repasse stage: the active repasses in that stage at the end of that day,
-- as the snapshot `snap_repasses` recorded them, and their value (financed + FGTS + subsídio).
-- The days are those on which a build saw a change, plus as_of.
with

versoes as (

    select
        conta,
        idrepasse,
        situacao,
        is_ativo,
        coalesce(valor_financiado, 0) + coalesce(valor_fgts, 0) + coalesce(valor_subsidio, 0) as valor,
        {{ sao_paulo_date('dbt_valid_from') }} as valida_de,
        {{ sao_paulo_date('dbt_valid_to') }} as valida_ate
    from {{ ref('snap_repasses') }}

),

etapas as (

    select
        lower(trim(situacao)) as situacao,
        ordem,
        etapa
    from {{ ref('repasse_etapas') }}

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
        versoes.situacao,
        versoes.valor
    from dias
    inner join versoes
        on
            dias.dia >= versoes.valida_de
            and (versoes.valida_ate is null or dias.dia < versoes.valida_ate)
    where versoes.is_ativo

),

final as (

    -- `data` is a keyword to the linter, but it is the column's name in the marts' contract
    select
        em_vigor.dia as data,  -- noqa: RF04
        em_vigor.conta,
        coalesce(etapas.etapa, 'Não mapeada') as etapa,
        min(etapas.ordem)::integer as etapa_ordem,
        count(*)::integer as repasses,
        round(sum(em_vigor.valor), 2)::numeric(18, 2) as valor_a_receber
    from em_vigor
    left join etapas on lower(trim(em_vigor.situacao)) = etapas.situacao
    group by em_vigor.dia, em_vigor.conta, coalesce(etapas.etapa, 'Não mapeada')

)

select * from final
