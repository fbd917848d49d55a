with

comissoes as (

    select * from {{ ref('stg_cvdw__comissoes') }}
    where is_ativo

),

reservas as (

    select * from {{ ref('stg_cvdw__reservas') }}

),

vendas as (

    select * from {{ ref('int_vendas_consolidadas') }}

),

final as (

    select
        comissoes.conta,
        comissoes.idcomissao,
        comissoes.idreserva,
        coalesce(vendas.idempreendimento, reservas.idempreendimento) as idempreendimento,
        coalesce(vendas.empreendimento, reservas.empreendimento, comissoes.empreendimento)
            as empreendimento,
        coalesce(vendas.idcorretor, reservas.idcorretor) as idcorretor,
        coalesce(vendas.corretor, reservas.corretor, comissoes.corretor) as corretor,
        coalesce(vendas.imobiliaria, reservas.imobiliaria, comissoes.imobiliaria) as imobiliaria,
        vendas.data_venda,
        round(comissoes.valor_contrato, 2)::numeric(18, 2) as valor_contrato,
        comissoes.porcentagem_comissao::numeric(9, 4) as porcentagem_comissao,
        round(comissoes.valor_comissao, 2)::numeric(18, 2) as valor_comissao,
        round(comissoes.valor_pago, 2)::numeric(18, 2) as valor_pago,
        round(comissoes.valor_a_pagar, 2)::numeric(18, 2) as valor_a_pagar,
        comissoes.situacao,
        comissoes.data_pagamento,
        coalesce(vendas.is_distrato, false) as is_distrato,
        -- CVCRM's data as it is: kept, flagged, listed in `anomalias` for the team to fix
        coalesce(
            comissoes.valor_comissao < 0 or comissoes.valor_pago < 0 or comissoes.valor_a_pagar < 0
            or comissoes.porcentagem_comissao not between 0 and 100
            or (vendas.idreserva is null and reservas.idreserva is null),
            false
        ) as is_anomala
    from comissoes
    left join reservas
        on comissoes.conta = reservas.conta and comissoes.idreserva = reservas.idreserva
    left join vendas
        on comissoes.conta = vendas.conta and comissoes.idreserva = vendas.idreserva

)

select * from final
