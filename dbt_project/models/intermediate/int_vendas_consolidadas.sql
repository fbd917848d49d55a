-- One row per sale: an active reservation with a real sale date, with its distrato (if any).
with

reservas as (

    select * from {{ ref('stg_cvdw__reservas') }}

),

distratos as (

    select * from {{ ref('stg_cvdw__distratos') }}
    where is_ativo

),

vendas as (

    select * from reservas
    where is_ativo and data_venda is not null

),

final as (

    select
        vendas.idreserva,
        vendas.data_venda::date as data_venda,
        vendas.idempreendimento,
        vendas.empreendimento,
        vendas.idunidade,
        vendas.unidade,
        vendas.idcorretor,
        vendas.corretor,
        vendas.idimobiliaria,
        vendas.imobiliaria,
        vendas.situacao,
        vendas.valor_contrato,
        vendas.vgv_tabela,
        distratos.idreserva is not null as is_distrato,
        distratos.data_distrato
    from vendas
    left join distratos on vendas.idreserva = distratos.idreserva

)

select * from final
