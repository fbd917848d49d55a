-- One row per development and month with sales or distratos: a sale counts in the month of its
-- `data_venda`, its distrato (if any) in the month of its `data_distrato`, often a later one;
-- net = sales − distratos, in units and in VGV (valor_contrato).
with

vendas as (

    select * from {{ ref('int_vendas_consolidadas') }}

),

movimentos as (

    select
        conta,
        idempreendimento,
        date_trunc('month', data_venda)::date as mes,
        1 as venda,
        0 as distrato,
        valor_contrato as vgv_venda,
        0 as vgv_distrato
    from vendas
    where data_venda is not null

    union all

    select
        conta,
        idempreendimento,
        date_trunc('month', data_distrato)::date as mes,
        0 as venda,
        1 as distrato,
        0 as vgv_venda,
        valor_contrato as vgv_distrato
    from vendas
    where is_distrato and data_distrato is not null

),

final as (

    select
        conta,
        idempreendimento,
        mes,
        sum(venda) as vendas,
        sum(distrato) as distratos,
        sum(venda) - sum(distrato) as vendas_liquidas,
        coalesce(sum(vgv_venda), 0) as vgv_vendas,
        coalesce(sum(vgv_distrato), 0) as vgv_distratos,
        coalesce(sum(vgv_venda), 0) - coalesce(sum(vgv_distrato), 0) as vgv_liquido
    from movimentos
    group by conta, idempreendimento, mes

)

select * from final
