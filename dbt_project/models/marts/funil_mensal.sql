-- One row per cohort month, development and origin: how many of the cohort's leads reached
-- each stage, the conversion from each stage to the next, and the median days between them.
-- Leads without a registration date belong to no cohort and are left out.
with

funil as (

    select * from {{ ref('funil') }}
    where mes_coorte is not null

),

coortes as (

    select
        conta,
        mes_coorte,
        idempreendimento,
        min(empreendimento) as empreendimento,
        coalesce(origem, 'Não informado') as origem,
        count(*) as leads,
        count(data_visita_realizada) as visitas_realizadas,
        count(data_pasta) as pastas,
        count(data_credito_aprovado) as creditos_aprovados,
        count(data_reserva) as reservas,
        count(data_venda) as vendas,
        count(data_distrato) as distratos,
        count(data_repasse_assinado) as repasses_assinados,
        count(data_recurso_liberado) as recursos_liberados,
        -- a date difference is null unless the lead has both dates: the median skips it
        percentile_cont(0.5) within group (order by data_visita_realizada - data_cad)
            as mediana_dias_lead_visita,
        percentile_cont(0.5) within group (order by data_pasta - data_visita_realizada)
            as mediana_dias_visita_pasta,
        percentile_cont(0.5) within group (order by data_credito_aprovado - data_pasta)
            as mediana_dias_pasta_credito,
        percentile_cont(0.5) within group (order by data_reserva - data_credito_aprovado)
            as mediana_dias_credito_reserva,
        percentile_cont(0.5) within group (order by data_venda - data_reserva)
            as mediana_dias_reserva_venda,
        percentile_cont(0.5) within group (order by data_repasse_assinado - data_venda)
            as mediana_dias_venda_repasse
    from funil
    group by conta, mes_coorte, idempreendimento, coalesce(origem, 'Não informado')

),

final as (

    select
        conta,
        mes_coorte,
        idempreendimento,
        empreendimento,
        origem,
        leads::integer as leads,
        visitas_realizadas::integer as visitas_realizadas,
        pastas::integer as pastas,
        creditos_aprovados::integer as creditos_aprovados,
        reservas::integer as reservas,
        vendas::integer as vendas,
        distratos::integer as distratos,
        repasses_assinados::integer as repasses_assinados,
        recursos_liberados::integer as recursos_liberados,
        -- next stage ÷ previous stage; no lead at the previous stage, no ratio
        round(visitas_realizadas::numeric / nullif(leads, 0), 6)::numeric(12, 6) as conv_lead_visita,
        round(pastas::numeric / nullif(visitas_realizadas, 0), 6)::numeric(12, 6) as conv_visita_pasta,
        round(creditos_aprovados::numeric / nullif(pastas, 0), 6)::numeric(12, 6) as conv_pasta_credito,
        round(reservas::numeric / nullif(creditos_aprovados, 0), 6)::numeric(12, 6) as conv_credito_reserva,
        round(vendas::numeric / nullif(reservas, 0), 6)::numeric(12, 6) as conv_reserva_venda,
        round(repasses_assinados::numeric / nullif(vendas, 0), 6)::numeric(12, 6) as conv_venda_repasse,
        mediana_dias_lead_visita::numeric(12, 1) as mediana_dias_lead_visita,
        mediana_dias_visita_pasta::numeric(12, 1) as mediana_dias_visita_pasta,
        mediana_dias_pasta_credito::numeric(12, 1) as mediana_dias_pasta_credito,
        mediana_dias_credito_reserva::numeric(12, 1) as mediana_dias_credito_reserva,
        mediana_dias_reserva_venda::numeric(12, 1) as mediana_dias_reserva_venda,
        mediana_dias_venda_repasse::numeric(12, 1) as mediana_dias_venda_repasse
    from coortes

)

select * from final
