-- One row per active repasse: its current stage (through the seed `repasse_etapas`), how long
-- it has been since the sale and in the stage, the days between its milestones, and what the
-- bank still has to pay.
with

repasses as (

    select * from {{ ref('stg_cvdw__repasses') }}
    where is_ativo

),

historico as (

    select * from {{ ref('stg_cvdw__repasses_historico_situacoes') }}
    where is_ativo

),

etapas as (

    select
        lower(trim(situacao)) as situacao,
        ordem,
        etapa
    from {{ ref('repasse_etapas') }}

),

empreendimentos as (

    select * from {{ ref('int_empreendimentos') }}

),

-- the last time the history moved the repasse into the situation it is in now
entradas_na_situacao_atual as (

    select
        historico.conta,
        historico.idrepasse,
        max(historico.data_cad)::date as data_entrada
    from historico
    inner join repasses
        on
            historico.conta = repasses.conta
            and historico.idrepasse = repasses.idrepasse
            and lower(trim(historico.para_nome)) = lower(trim(repasses.situacao))
    group by historico.conta, historico.idrepasse

),

datados as (

    select
        repasses.*,
        repasses.data_venda::date as dia_venda,
        repasses.data_assinatura_de_contrato::date as dia_assinatura,
        repasses.data_registro::date as dia_registro,
        repasses.data_recurso_liberado::date as dia_recurso_liberado,
        coalesce(
            entradas_na_situacao_atual.data_entrada,
            repasses.data_alteracao_status::date
        ) as dia_etapa_atual,
        {{ as_of_date() }} - repasses.data_venda::date as dias_desde_venda,
        coalesce(repasses.valor_financiado, 0)
        + coalesce(repasses.valor_fgts, 0)
        + coalesce(repasses.valor_subsidio, 0) as valor_total
    from repasses
    left join entradas_na_situacao_atual
        on
            repasses.conta = entradas_na_situacao_atual.conta
            and repasses.idrepasse = entradas_na_situacao_atual.idrepasse

),

final as (

    select
        datados.conta,
        datados.idrepasse,
        datados.idreserva,
        datados.idempreendimento,
        coalesce(empreendimentos.empreendimento, datados.empreendimento) as empreendimento,
        datados.situacao,
        coalesce(etapas.etapa, 'Não mapeada') as etapa,
        etapas.ordem::integer as etapa_ordem,
        datados.banco,
        datados.correspondente,
        datados.dia_venda as data_venda,
        datados.dia_assinatura as data_assinatura,
        datados.dia_registro as data_registro,
        datados.dia_recurso_liberado as data_recurso_liberado,
        datados.dia_etapa_atual as data_etapa_atual,
        datados.dias_desde_venda::integer as dias_desde_venda,
        ({{ as_of_date() }} - datados.dia_etapa_atual)::integer as dias_na_etapa,
        (datados.dia_assinatura - datados.dia_venda)::integer as dias_venda_assinatura,
        (datados.dia_recurso_liberado - datados.dia_assinatura)::integer as dias_assinatura_recurso,
        (datados.dia_recurso_liberado - datados.dia_venda)::integer as dias_venda_recurso,
        case
            when datados.dias_desde_venda <= 30 then '0 a 30 dias'
            when datados.dias_desde_venda <= 60 then '31 a 60 dias'
            when datados.dias_desde_venda <= 90 then '61 a 90 dias'
            when datados.dias_desde_venda <= 180 then '91 a 180 dias'
            when datados.dias_desde_venda > 180 then 'Mais de 180 dias'
        end as faixa_aging,
        round(datados.valor_financiado, 2)::numeric(18, 2) as valor_financiado,
        round(datados.valor_fgts, 2)::numeric(18, 2) as valor_fgts,
        round(datados.valor_subsidio, 2)::numeric(18, 2) as valor_subsidio,
        -- what the bank still owes: all of it until the funds are released, then nothing
        case
            when datados.dia_recurso_liberado is null then round(datados.valor_total, 2) else 0
        end::numeric(18, 2) as valor_a_receber,
        datados.dia_recurso_liberado is not null as is_concluido
    from datados
    left join etapas on lower(trim(datados.situacao)) = etapas.situacao
    left join empreendimentos
        on
            datados.conta = empreendimentos.conta
            and datados.idempreendimento = empreendimentos.idempreendimento

)

select * from final
