-- One row per unit: whether it is available now (`situacao_mapa_disponibilidade`), whether it is
-- in stock (released and not net-sold), its table price in force on as_of and its price band.
with

unidades as (

    select * from {{ ref('stg_cvdw__unidades') }}

),

lancadas as (

    select * from {{ ref('int_unidades_lancadas') }}

),

precos as (

    select * from {{ ref('int_unidades_precificadas') }}

),

vendas as (

    select * from {{ ref('int_vendas_consolidadas') }}

),

empreendimentos as (

    select * from {{ ref('int_empreendimentos') }}

),

faixas as (

    select * from {{ ref('faixas_preco') }}

),

-- a distrato puts the unit back in stock: only sales not cancelled keep it out
unidades_vendidas as (

    select distinct
        conta,
        idunidade
    from vendas
    where not is_distrato and idunidade is not null

),

final as (

    select
        unidades.conta,
        unidades.idunidade,
        unidades.idempreendimento,
        coalesce(empreendimentos.empreendimento, unidades.empreendimento) as empreendimento,
        unidades.bloco,
        unidades.unidade,
        unidades.tipologia,
        round(unidades.area_privativa, 2)::numeric(12, 2) as area_privativa,
        unidades.idsituacao_mapa::integer as situacao_mapa_disponibilidade,
        unidades.situacao_mapa as situacao_disponibilidade,
        coalesce(unidades.idsituacao_mapa = 1, false) as is_disponivel,
        coalesce(
            lancadas.mes_lancamento <= date_trunc('month', {{ as_of_date() }})
            and unidades_vendidas.idunidade is null,
            false
        ) as is_em_estoque,
        precos.idtabela,
        precos.tabela,
        round(precos.valor_tabela, 2)::numeric(18, 2) as valor_tabela,
        faixa.faixa as faixa_preco,
        faixa.ordem::integer as faixa_ordem
    from unidades
    left join lancadas
        on unidades.conta = lancadas.conta and unidades.idunidade = lancadas.idunidade
    left join precos
        on unidades.conta = precos.conta and unidades.idunidade = precos.idunidade
    left join empreendimentos
        on
            unidades.conta = empreendimentos.conta
            and unidades.idempreendimento = empreendimentos.idempreendimento
    left join unidades_vendidas
        on
            unidades.conta = unidades_vendidas.conta
            and unidades.idunidade_int = unidades_vendidas.idunidade
    -- the band the price falls in (from inclusive, up to exclusive); no price, no band
    left join lateral (
        select
            faixas.faixa,
            faixas.ordem
        from faixas
        where
            (faixas.valor_de is null or round(precos.valor_tabela, 2) >= faixas.valor_de)
            and (faixas.valor_ate is null or round(precos.valor_tabela, 2) < faixas.valor_ate)
        order by faixas.ordem
        limit 1
    ) as faixa on precos.valor_tabela is not null

)

select * from final
