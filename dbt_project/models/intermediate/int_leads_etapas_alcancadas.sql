-- One row per lead and funnel stage it reached, dated by the earliest evidence: its visits done,
-- its pastas, reservations, sales and repasses (which list their leads in `idlead`), and the
-- situation history of the lead and of its pastas read through the seed `funil_situacoes`.
-- A table: `funil` pivots it, and the links unnest every id list once.
-- Analysed at once, as the marts are (dbt_project.yml): its grain test is planned right after.
{{ config(materialized='table', post_hook='analyze {{ this }}') }}

with

historico_leads as (

    select * from {{ ref('stg_cvdw__leads_historico_situacoes') }}
    where is_ativo

),

visitas as (

    select * from {{ ref('stg_cvdw__leads_visitas') }}
    where is_ativo

),

pastas as (

    select * from {{ ref('stg_cvdw__precadastros') }}
    where is_ativo

),

historico_pastas as (

    select * from {{ ref('stg_cvdw__precadastro_historico_situacoes') }}
    where is_ativo

),

reservas as (

    select * from {{ ref('stg_cvdw__reservas') }}
    where is_ativo

),

vendas_api as (

    select * from {{ ref('stg_cvdw__vendas') }}

),

vendas as (

    select * from {{ ref('int_vendas_consolidadas') }}

),

repasses as (

    select * from {{ ref('stg_cvdw__repasses') }}
    where is_ativo

),

situacoes as (

    select
        caminho,
        lower(trim(situacao)) as situacao,
        etapa
    from {{ ref('funil_situacoes') }}

),

leads_das_pastas as (

    select
        pastas.conta,
        pastas.idprecadastro,
        lista.idlead,
        pastas.data_cad
    from pastas
    cross join lateral unnest({{ cvdw_id_list('pastas.idlead') }}) as lista (idlead)

),

leads_das_reservas as (

    select
        reservas.conta,
        reservas.idreserva,
        lista.idlead,
        reservas.data_cad
    from reservas
    cross join lateral unnest({{ cvdw_id_list('reservas.idlead') }}) as lista (idlead)

),

-- a sale's leads are its reservation's; a sale only /vendas lists (no reservation) links
-- through its own `idlead` list
leads_das_vendas as (

    select
        conta,
        idreserva,
        idlead
    from leads_das_reservas
    union
    select
        vendas.conta,
        vendas.idreserva,
        lista.idlead
    from vendas
    inner join vendas_api
        on vendas.conta = vendas_api.conta and vendas.idreserva = vendas_api.idreserva
    cross join lateral unnest({{ cvdw_id_list('vendas_api.idlead') }}) as lista (idlead)
    where vendas.is_ausente_em_reservas

),

evidencias as (

    -- the lead's history moved it to a situation the seed maps to a stage
    select
        historico_leads.conta,
        historico_leads.idlead,
        situacoes.etapa,
        historico_leads.data_cad::date as data_etapa
    from historico_leads
    inner join situacoes
        on
            situacoes.caminho = 'leads'
            and lower(trim(historico_leads.para_nome)) = situacoes.situacao

    union all

    -- a visit is done when it has a conclusion date, whatever its situation says
    select
        conta,
        idlead,
        'visita_realizada' as etapa,
        data_conclusao::date as data_etapa
    from visitas
    where data_conclusao is not null

    union all

    select
        conta,
        idlead,
        'pasta' as etapa,
        data_cad::date as data_etapa
    from leads_das_pastas

    union all

    -- the pasta's history dates its credit decision (its own creation dates the pasta itself)
    select
        leads_das_pastas.conta,
        leads_das_pastas.idlead,
        situacoes.etapa,
        historico_pastas.data_cad::date as data_etapa
    from historico_pastas
    inner join situacoes
        on
            situacoes.caminho = 'precadastros'
            and lower(trim(historico_pastas.para_nome)) = situacoes.situacao
    inner join leads_das_pastas
        on
            historico_pastas.conta = leads_das_pastas.conta
            and historico_pastas.idprecadastro = leads_das_pastas.idprecadastro
    where situacoes.etapa <> 'pasta'

    union all

    select
        conta,
        idlead,
        'reserva' as etapa,
        data_cad::date as data_etapa
    from leads_das_reservas

    union all

    select
        leads_das_vendas.conta,
        leads_das_vendas.idlead,
        'venda' as etapa,
        vendas.data_venda as data_etapa
    from vendas
    inner join leads_das_vendas
        on vendas.conta = leads_das_vendas.conta and vendas.idreserva = leads_das_vendas.idreserva

    union all

    select
        leads_das_vendas.conta,
        leads_das_vendas.idlead,
        'distrato' as etapa,
        vendas.data_distrato as data_etapa
    from vendas
    inner join leads_das_vendas
        on vendas.conta = leads_das_vendas.conta and vendas.idreserva = leads_das_vendas.idreserva
    where vendas.is_distrato

    union all

    select
        leads_das_vendas.conta,
        leads_das_vendas.idlead,
        'repasse_assinado' as etapa,
        repasses.data_assinatura_de_contrato::date as data_etapa
    from repasses
    inner join leads_das_vendas
        on repasses.conta = leads_das_vendas.conta and repasses.idreserva = leads_das_vendas.idreserva

    union all

    select
        leads_das_vendas.conta,
        leads_das_vendas.idlead,
        'recurso_liberado' as etapa,
        repasses.data_recurso_liberado::date as data_etapa
    from repasses
    inner join leads_das_vendas
        on repasses.conta = leads_das_vendas.conta and repasses.idreserva = leads_das_vendas.idreserva

),

final as (

    -- earliest evidence wins
    select
        conta,
        idlead,
        etapa,
        min(data_etapa) as data_etapa
    from evidencias
    where idlead is not null and data_etapa is not null
    group by conta, idlead, etapa

)

select * from final
