-- One row per sale, with its distrato (if any). Reservations are the main source; a sale that
-- only `/vendas` lists (its reservation absent from `/reservas`) still counts. Names an account
-- leaves empty on the sale come from the units, brokers and brokerages paths.
-- A table, not a view: five marts read it, and each would de-duplicate both paths again.
{{ config(materialized='table') }}

with

reservas as (

    select * from {{ ref('stg_cvdw__reservas') }}

),

vendas_api as (

    select * from {{ ref('stg_cvdw__vendas') }}

),

distratos as (

    select * from {{ ref('stg_cvdw__distratos') }}
    where is_ativo

),

empreendimentos as (

    select distinct on (conta, idempreendimento)
        conta,
        idempreendimento,
        empreendimento
    from {{ ref('stg_cvdw__unidades') }}
    where empreendimento is not null
    order by conta asc, idempreendimento asc, atualizado_em desc nulls last

),

corretores as (

    select * from {{ ref('stg_cvdw__corretores') }}

),

imobiliarias as (

    select * from {{ ref('stg_cvdw__imobiliarias') }}

),

vendas_de_reservas as (

    select
        conta,
        idreserva,
        data_venda::date as data_venda,
        idempreendimento,
        empreendimento,
        idunidade,
        unidade,
        idcorretor,
        corretor,
        idimobiliaria,
        imobiliaria,
        situacao,
        valor_contrato,
        vgv_tabela,
        false as is_ausente_em_reservas
    from reservas
    where is_ativo and data_venda is not null

),

vendas_sem_reserva as (

    select
        vendas_api.conta,
        vendas_api.idreserva,
        vendas_api.data_venda,
        vendas_api.idempreendimento,
        vendas_api.empreendimento,
        vendas_api.idunidade,
        vendas_api.unidade,
        vendas_api.idcorretor,
        vendas_api.corretor,
        vendas_api.idimobiliaria,
        vendas_api.imobiliaria,
        null::text as situacao,
        vendas_api.valor_contrato,
        null::numeric as vgv_tabela,
        true as is_ausente_em_reservas
    from vendas_api
    left join reservas
        on vendas_api.conta = reservas.conta and vendas_api.idreserva = reservas.idreserva
    where
        vendas_api.is_ativo
        and vendas_api.data_venda is not null
        and reservas.idreserva is null

),

vendas as (

    select * from vendas_de_reservas
    union all
    select * from vendas_sem_reserva

),

final as (

    select
        vendas.conta,
        vendas.idreserva,
        vendas.data_venda,
        vendas.idempreendimento,
        coalesce(vendas.empreendimento, empreendimentos.empreendimento) as empreendimento,
        vendas.idunidade,
        vendas.unidade,
        vendas.idcorretor,
        coalesce(vendas.corretor, corretores.corretor) as corretor,
        coalesce(vendas.idimobiliaria, corretores.idimobiliaria) as idimobiliaria,
        coalesce(vendas.imobiliaria, imobiliarias.imobiliaria) as imobiliaria,
        vendas.situacao,
        vendas.valor_contrato,
        vendas.vgv_tabela,
        vendas.is_ausente_em_reservas,
        distratos.idreserva is not null as is_distrato,
        distratos.data_distrato
    from vendas
    left join distratos
        on vendas.conta = distratos.conta and vendas.idreserva = distratos.idreserva
    left join empreendimentos
        on
            vendas.conta = empreendimentos.conta
            and vendas.idempreendimento = empreendimentos.idempreendimento
    left join corretores
        on vendas.conta = corretores.conta and vendas.idcorretor = corretores.idcorretor
    left join imobiliarias
        on
            vendas.conta = imobiliarias.conta
            and coalesce(vendas.idimobiliaria, corretores.idimobiliaria) = imobiliarias.idimobiliaria

)

select * from final
