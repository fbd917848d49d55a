with

unidades as (

    select * from {{ ref('int_unidades_lancadas') }}

),

vendas as (

    select * from {{ ref('int_vendas_consolidadas') }}

),

empreendimentos as (

    select * from {{ ref('int_empreendimentos') }}

),

por_unidades as (

    select
        conta,
        idempreendimento,
        count(*) as unidades_total,
        count(*) filter (
            where mes_lancamento <= date_trunc('month', {{ as_of_date() }})
        ) as unidades_lancadas
    from unidades
    group by conta, idempreendimento

),

por_vendas as (

    select
        conta,
        idempreendimento,
        count(*) as vendas_brutas,
        count(*) filter (where is_distrato) as distratos,
        sum(valor_contrato) as vgv_bruto,
        coalesce(sum(valor_contrato) filter (where is_distrato), 0) as vgv_distratos,
        max(data_venda) as data_ultima_venda
    from vendas
    group by conta, idempreendimento

),

final as (

    select
        empreendimentos.conta,
        empreendimentos.idempreendimento,
        empreendimentos.empreendimento,
        coalesce(por_unidades.unidades_total, 0)::integer as unidades_total,
        coalesce(por_unidades.unidades_lancadas, 0)::integer as unidades_lancadas,
        coalesce(por_vendas.vendas_brutas, 0)::integer as unidades_vendidas_brutas,
        coalesce(por_vendas.distratos, 0)::integer as unidades_distratadas,
        (coalesce(por_vendas.vendas_brutas, 0) - coalesce(por_vendas.distratos, 0))::integer
            as unidades_vendidas,
        (
            coalesce(por_unidades.unidades_lancadas, 0)
            - coalesce(por_vendas.vendas_brutas, 0)
            + coalesce(por_vendas.distratos, 0)
        )::integer as unidades_estoque,
        round(coalesce(por_vendas.vgv_bruto, 0), 2)::numeric(18, 2) as vgv_bruto,
        round(coalesce(por_vendas.vgv_distratos, 0), 2)::numeric(18, 2) as vgv_distratos,
        round(coalesce(por_vendas.vgv_bruto, 0) - coalesce(por_vendas.vgv_distratos, 0), 2)::numeric(18, 2)
            as vgv_liquido,
        case
            when por_vendas.vendas_brutas > 0
                then round(por_vendas.vgv_bruto / por_vendas.vendas_brutas, 2)
        end::numeric(18, 2) as ticket_medio,
        por_vendas.data_ultima_venda
    from empreendimentos
    left join por_unidades
        on
            empreendimentos.conta = por_unidades.conta
            and empreendimentos.idempreendimento = por_unidades.idempreendimento
    left join por_vendas
        on
            empreendimentos.conta = por_vendas.conta
            and empreendimentos.idempreendimento = por_vendas.idempreendimento

)

select * from final
