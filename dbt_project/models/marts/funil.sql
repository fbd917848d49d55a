-- One row per active lead: when it arrived (its cohort month), where from, who serves it, and
-- the day it first reached each funnel stage (null when it has not).
with

leads as (

    select * from {{ ref('stg_cvdw__leads') }}
    where is_ativo

),

etapas as (

    select * from {{ ref('int_leads_etapas_alcancadas') }}

),

corretores as (

    select * from {{ ref('stg_cvdw__corretores') }}

),

imobiliarias as (

    select * from {{ ref('stg_cvdw__imobiliarias') }}

),

empreendimentos as (

    select * from {{ ref('int_empreendimentos') }}

),

datas_por_lead as (

    select
        conta,
        idlead,
        min(data_etapa) filter (where etapa = 'visita_realizada') as data_visita_realizada,
        min(data_etapa) filter (where etapa = 'pasta') as data_pasta,
        min(data_etapa) filter (where etapa = 'credito_aprovado') as data_credito_aprovado,
        min(data_etapa) filter (where etapa = 'reserva') as data_reserva,
        min(data_etapa) filter (where etapa = 'venda') as data_venda,
        min(data_etapa) filter (where etapa = 'distrato') as data_distrato,
        min(data_etapa) filter (where etapa = 'repasse_assinado') as data_repasse_assinado,
        min(data_etapa) filter (where etapa = 'recurso_liberado') as data_recurso_liberado
    from etapas
    group by conta, idlead

),

final as (

    select
        leads.conta,
        leads.idlead,
        leads.data_cad::date as data_cad,
        date_trunc('month', leads.data_cad)::date as mes_coorte,
        leads.situacao,
        leads.origem,
        leads.origem_ultimo,
        leads.midia_original,
        leads.midia_ultimo,
        leads.idcorretor,
        -- names from the brokers, brokerages and developments paths; the lead's own as fallback
        coalesce(corretores.corretor, leads.corretor) as corretor,
        leads.idimobiliaria,
        coalesce(imobiliarias.imobiliaria, leads.imobiliaria) as imobiliaria,
        leads.idempreendimento,
        coalesce(empreendimentos.empreendimento, leads.empreendimento) as empreendimento,
        datas_por_lead.data_visita_realizada,
        datas_por_lead.data_pasta,
        datas_por_lead.data_credito_aprovado,
        datas_por_lead.data_reserva,
        datas_por_lead.data_venda,
        datas_por_lead.data_distrato,
        datas_por_lead.data_repasse_assinado,
        datas_por_lead.data_recurso_liberado
    from leads
    left join datas_por_lead
        on leads.conta = datas_por_lead.conta and leads.idlead = datas_por_lead.idlead
    left join corretores
        on leads.conta = corretores.conta and leads.idcorretor = corretores.idcorretor
    left join imobiliarias
        on leads.conta = imobiliarias.conta and leads.idimobiliaria = imobiliarias.idimobiliaria
    left join empreendimentos
        on
            leads.conta = empreendimentos.conta
            and leads.idempreendimento = empreendimentos.idempreendimento

)

select * from final
