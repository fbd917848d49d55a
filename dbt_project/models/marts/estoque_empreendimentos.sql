-- One row per development: units and VGV (table price) in stock and available now, net sales
-- of the last three full months, and meses de estoque = stock ÷ average monthly net sales.
with

estoque as (

    select * from {{ ref('estoque') }}

),

vendas_por_mes as (

    select * from {{ ref('int_vendas_mensais_agregadas') }}

),

empreendimentos as (

    select * from {{ ref('int_empreendimentos') }}

),

por_estoque as (

    select
        conta,
        idempreendimento,
        count(*) filter (where is_em_estoque) as unidades_estoque,
        coalesce(sum(valor_tabela) filter (where is_em_estoque), 0) as vgv_estoque,
        count(*) filter (where is_disponivel) as unidades_disponiveis,
        coalesce(sum(valor_tabela) filter (where is_disponivel), 0) as vgv_disponivel
    from estoque
    group by conta, idempreendimento

),

-- the three calendar months before as_of's month (the current month is not over yet)
ultimos_3_meses as (

    select
        conta,
        idempreendimento,
        sum(vendas_liquidas) as vendas_liquidas_3m
    from vendas_por_mes
    where
        mes >= (date_trunc('month', {{ as_of_date() }}) - interval '3 months')::date
        and mes < date_trunc('month', {{ as_of_date() }})::date
    group by conta, idempreendimento

),

por_empreendimento as (

    select
        empreendimentos.conta,
        empreendimentos.idempreendimento,
        empreendimentos.empreendimento,
        coalesce(por_estoque.unidades_estoque, 0) as unidades_estoque,
        coalesce(por_estoque.vgv_estoque, 0) as vgv_estoque,
        coalesce(por_estoque.unidades_disponiveis, 0) as unidades_disponiveis,
        coalesce(por_estoque.vgv_disponivel, 0) as vgv_disponivel,
        coalesce(ultimos_3_meses.vendas_liquidas_3m, 0) as vendas_liquidas_3m
    from empreendimentos
    left join por_estoque
        on
            empreendimentos.conta = por_estoque.conta
            and empreendimentos.idempreendimento = por_estoque.idempreendimento
    left join ultimos_3_meses
        on
            empreendimentos.conta = ultimos_3_meses.conta
            and empreendimentos.idempreendimento = ultimos_3_meses.idempreendimento

),

final as (

    select
        conta,
        idempreendimento,
        empreendimento,
        unidades_estoque::integer as unidades_estoque,
        round(vgv_estoque, 2)::numeric(18, 2) as vgv_estoque,
        unidades_disponiveis::integer as unidades_disponiveis,
        round(vgv_disponivel, 2)::numeric(18, 2) as vgv_disponivel,
        vendas_liquidas_3m::integer as vendas_liquidas_3m,
        round(vendas_liquidas_3m / 3.0, 6)::numeric(12, 6) as media_vendas_3m,
        -- stock ÷ (net sales ÷ 3), computed unrounded; no net sales, no horizon
        case
            when vendas_liquidas_3m > 0 then round(unidades_estoque * 3.0 / vendas_liquidas_3m, 6)
        end::numeric(12, 6) as meses_estoque
    from por_empreendimento

)

select * from final
