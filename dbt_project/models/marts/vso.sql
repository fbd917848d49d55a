with

unidades as (

    select * from {{ ref('int_unidades_lancadas') }}

),

vendas as (

    select * from {{ ref('int_vendas_consolidadas') }}

),

empreendimentos as (

    select * from {{ ref('int_empreendimentos') }}
    where primeiro_mes is not null

),

meses as (

    select
        empreendimentos.conta,
        empreendimentos.idempreendimento,
        serie.mes::date as mes
    from empreendimentos
    cross join lateral generate_series(
        empreendimentos.primeiro_mes,
        date_trunc('month', {{ as_of_date() }}),
        interval '1 month'
    ) as serie (mes)

),

lancamentos as (

    select
        conta,
        idempreendimento,
        mes_lancamento as mes,
        count(*) as lancamentos
    from unidades
    group by 1, 2, 3

),

vendas_brutas as (

    select
        conta,
        idempreendimento,
        date_trunc('month', data_venda)::date as mes,
        count(*) as vendas_brutas
    from vendas
    group by 1, 2, 3

),

distratos as (

    select
        conta,
        idempreendimento,
        date_trunc('month', data_distrato)::date as mes,
        count(*) as distratos
    from vendas
    where is_distrato and data_distrato is not null
    group by 1, 2, 3

),

movimento as (

    select
        meses.conta,
        meses.mes,
        meses.idempreendimento,
        coalesce(lancamentos.lancamentos, 0) as lancamentos,
        coalesce(vendas_brutas.vendas_brutas, 0) as vendas_brutas,
        coalesce(distratos.distratos, 0) as distratos
    from meses
    left join lancamentos
        on
            meses.conta = lancamentos.conta
            and meses.idempreendimento = lancamentos.idempreendimento
            and meses.mes = lancamentos.mes
    left join vendas_brutas
        on
            meses.conta = vendas_brutas.conta
            and meses.idempreendimento = vendas_brutas.idempreendimento
            and meses.mes = vendas_brutas.mes
    left join distratos
        on
            meses.conta = distratos.conta
            and meses.idempreendimento = distratos.idempreendimento
            and meses.mes = distratos.mes

),

com_estoque as (

    select
        *,
        vendas_brutas - distratos as vendas_liquidas,
        coalesce(sum(lancamentos - vendas_brutas + distratos) over (
            partition by conta, idempreendimento order by mes
            rows between unbounded preceding and 1 preceding
        ), 0) as estoque_inicial
    from movimento

),

com_oferta as (

    select
        *,
        estoque_inicial + lancamentos as oferta
    from com_estoque

),

final as (

    select
        com_oferta.conta,
        com_oferta.mes,
        com_oferta.idempreendimento,
        empreendimentos.empreendimento,
        com_oferta.estoque_inicial::integer as estoque_inicial,
        com_oferta.lancamentos::integer as lancamentos,
        com_oferta.vendas_brutas::integer as vendas_brutas,
        com_oferta.distratos::integer as distratos,
        com_oferta.vendas_liquidas::integer as vendas_liquidas,
        -- offer = stock at the start + launches; no offer, no ratio
        case
            when com_oferta.oferta > 0
                then round(com_oferta.vendas_liquidas::numeric / com_oferta.oferta, 6)
        end::numeric(12, 6) as vso,
        case
            when com_oferta.oferta > 0
                then round(com_oferta.vendas_brutas::numeric / com_oferta.oferta, 6)
        end::numeric(12, 6) as vso_bruta
    from com_oferta
    left join empreendimentos
        on
            com_oferta.conta = empreendimentos.conta
            and com_oferta.idempreendimento = empreendimentos.idempreendimento

)

select * from final
