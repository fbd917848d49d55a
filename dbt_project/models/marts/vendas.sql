with

vendas as (

    select * from {{ ref('int_vendas_consolidadas') }}

),

final as (

    select
        conta,
        idreserva,
        data_venda,
        idempreendimento,
        empreendimento,
        idunidade,
        unidade,
        idcorretor,
        corretor,
        idimobiliaria,
        imobiliaria,
        situacao,
        round(valor_contrato, 2)::numeric(18, 2) as valor_contrato,
        round(vgv_tabela, 2)::numeric(18, 2) as vgv_tabela,
        is_distrato,
        data_distrato,
        is_ausente_em_reservas
    from vendas

)

select * from final
