-- One row per development (CVDW has no path for them): its id, its name (as the units name it,
-- else as the sales do) and its first month, the earliest of its units' release months and its
-- sales' months.
with

unidades as (

    select * from {{ ref('stg_cvdw__unidades') }}

),

vendas as (

    select * from {{ ref('int_vendas_consolidadas') }}

),

ocorrencias as (

    select
        conta,
        idempreendimento,
        empreendimento,
        date_trunc('month', liberar_a_partir)::date as mes,
        1 as prioridade
    from unidades
    union all
    select
        conta,
        idempreendimento,
        empreendimento,
        date_trunc('month', data_venda)::date as mes,
        2 as prioridade
    from vendas

),

nomes as (

    select distinct on (conta, idempreendimento)
        conta,
        idempreendimento,
        empreendimento
    from ocorrencias
    where empreendimento is not null
    order by conta, idempreendimento, prioridade, empreendimento

),

final as (

    select
        ocorrencias.conta,
        ocorrencias.idempreendimento,
        nomes.empreendimento,
        min(ocorrencias.mes) as primeiro_mes
    from ocorrencias
    left join nomes
        on
            ocorrencias.conta = nomes.conta
            and ocorrencias.idempreendimento = nomes.idempreendimento
    where ocorrencias.idempreendimento is not null
    group by ocorrencias.conta, ocorrencias.idempreendimento, nomes.empreendimento

)

select * from final
