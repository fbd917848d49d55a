-- The table is `marts.metas`; the model has another name because the seed `metas` holds that one.
{{ config(alias="metas") }}

-- One row per target in the seed `metas` (development × month): the target, the net sales
-- realised that month, attainment for the month and for the year to date (January through the
-- month, over the months the seed holds). An empty seed gives an empty mart: no target, no
-- attainment (not zeros). A target for a development the account does not have is left out
-- (the seed's own test warns about it).
with

metas as (

    select * from {{ ref('metas') }}

),

vendas_por_mes as (

    select * from {{ ref('int_vendas_mensais_agregadas') }}

),

empreendimentos as (

    select * from {{ ref('int_empreendimentos') }}

),

realizado as (

    select
        metas.conta,
        metas.idempreendimento,
        metas.mes,
        metas.meta_unidades,
        metas.meta_vgv,
        coalesce(vendas_por_mes.vendas_liquidas, 0) as vendas_liquidas,
        coalesce(vendas_por_mes.vgv_liquido, 0) as vgv_liquido
    from metas
    left join vendas_por_mes
        on
            metas.conta = vendas_por_mes.conta
            and metas.idempreendimento = vendas_por_mes.idempreendimento
            and metas.mes = vendas_por_mes.mes

),

acumulado as (

    select
        *,
        sum(meta_unidades) over ano_ate_o_mes as meta_unidades_ano,
        sum(vendas_liquidas) over ano_ate_o_mes as vendas_liquidas_ano,
        sum(meta_vgv) over ano_ate_o_mes as meta_vgv_ano,
        sum(vgv_liquido) over ano_ate_o_mes as vgv_liquido_ano
    from realizado
    window ano_ate_o_mes as (
        partition by conta, idempreendimento, date_trunc('year', mes)
        order by mes
        rows between unbounded preceding and current row
    )

),

final as (

    select
        acumulado.conta,
        acumulado.idempreendimento,
        empreendimentos.empreendimento,
        acumulado.mes,
        acumulado.meta_unidades::integer as meta_unidades,
        round(acumulado.meta_vgv, 2)::numeric(18, 2) as meta_vgv,
        acumulado.vendas_liquidas::integer as vendas_liquidas,
        round(acumulado.vgv_liquido, 2)::numeric(18, 2) as vgv_liquido,
        -- realised ÷ target; no target (empty or zero), no attainment
        round(acumulado.vendas_liquidas / nullif(acumulado.meta_unidades, 0)::numeric, 6)::numeric(12, 6)
            as atingimento_unidades,
        round(acumulado.vgv_liquido / nullif(acumulado.meta_vgv, 0), 6)::numeric(12, 6) as atingimento_vgv,
        acumulado.meta_unidades_ano::integer as meta_unidades_ano,
        acumulado.vendas_liquidas_ano::integer as vendas_liquidas_ano,
        round(acumulado.meta_vgv_ano, 2)::numeric(18, 2) as meta_vgv_ano,
        round(acumulado.vgv_liquido_ano, 2)::numeric(18, 2) as vgv_liquido_ano,
        round(
            acumulado.vendas_liquidas_ano / nullif(acumulado.meta_unidades_ano, 0)::numeric, 6
        )::numeric(12, 6) as atingimento_unidades_ano,
        round(acumulado.vgv_liquido_ano / nullif(acumulado.meta_vgv_ano, 0), 6)::numeric(12, 6)
            as atingimento_vgv_ano
    from acumulado
    inner join empreendimentos
        on
            acumulado.conta = empreendimentos.conta
            and acumulado.idempreendimento = empreendimentos.idempreendimento

)

select * from final
